// The profiles table (schema/profiles.ts): whole-profile reads and serialised updates.
import { eq, sql } from "drizzle-orm";
import type { Db } from "../db.ts";
import { profiles } from "../schema/profiles.ts";

export type ProfileFields = Record<string, unknown>;

export function createProfilesRepo(db: Db) {
  return {
    /** The user's profile fields, or {} when none was ever set. */
    async get(userId: string): Promise<ProfileFields> {
      const [row] = await db.select({ fields: profiles.fields }).from(profiles).where(eq(profiles.userId, userId));
      return row?.fields ?? {};
    },

    /**
     * Replaces the profile with `change(current)`, holding the row lock in between so concurrent
     * updates of different keys never lose each other. `change` may throw to abort.
     */
    async update(userId: string, change: (current: ProfileFields) => ProfileFields, now: number): Promise<ProfileFields> {
      return db.transaction(async (tx) => {
        // Create the row first so there is always something to lock.
        await tx.insert(profiles).values({ userId, fields: {}, updatedTs: now }).onConflictDoNothing();
        const [row] = await tx.select({ fields: profiles.fields }).from(profiles).where(eq(profiles.userId, userId)).for("update");
        const next = change(row?.fields ?? {});
        await tx.update(profiles).set({ fields: sql`${JSON.stringify(next)}::jsonb`, updatedTs: now }).where(eq(profiles.userId, userId));
        return next;
      });
    },

    async delete(userId: string): Promise<void> {
      await db.delete(profiles).where(eq(profiles.userId, userId));
    },
  };
}

export type ProfilesRepo = ReturnType<typeof createProfilesRepo>;

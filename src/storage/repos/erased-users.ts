// The erased_users table (schema/erased-users.ts).
import { eq } from "drizzle-orm";
import type { Db } from "../db.ts";
import { erasedUsers } from "../schema/erased-users.ts";

export function createErasedUsersRepo(db: Db) {
  return {
    async markErased(userId: string, now: number): Promise<void> {
      await db.insert(erasedUsers).values({ userId, erasedTs: now }).onConflictDoNothing();
    },

    async isErased(userId: string): Promise<boolean> {
      const [row] = await db.select({ userId: erasedUsers.userId }).from(erasedUsers).where(eq(erasedUsers.userId, userId));
      return row !== undefined;
    },
  };
}

export type ErasedUsersRepo = ReturnType<typeof createErasedUsersRepo>;

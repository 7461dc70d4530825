// Registration tokens (m.login.registration_token): typed queries; the rules are in auth/registration-tokens.ts.
import { and, eq, gt, isNull, or, sql } from "drizzle-orm";
import type { Db } from "../db.ts";
import { registrationTokens } from "../schema/accounts.ts";

export type RegistrationTokenRow = typeof registrationTokens.$inferSelect;

export function createRegistrationTokensRepo(db: Db) {
  /** Usable: not expired and uses left once pending registrations are counted. */
  const usable = (token: string, now: number) =>
    and(
      eq(registrationTokens.token, token),
      or(isNull(registrationTokens.expiryTime), gt(registrationTokens.expiryTime, now)),
      or(isNull(registrationTokens.usesAllowed), sql`${registrationTokens.pending} + ${registrationTokens.completed} < ${registrationTokens.usesAllowed}`),
    );
  return {
    /** False when the token exists already. */
    async create(row: { token: string; usesAllowed: number | null; expiryTime: number | null }): Promise<boolean> {
      const inserted = await db.insert(registrationTokens).values(row).onConflictDoNothing().returning({ token: registrationTokens.token });
      return inserted.length === 1;
    },
    async list(): Promise<RegistrationTokenRow[]> {
      return db.select().from(registrationTokens).orderBy(registrationTokens.token);
    },
    async get(token: string): Promise<RegistrationTokenRow | undefined> {
      const [row] = await db.select().from(registrationTokens).where(eq(registrationTokens.token, token));
      return row;
    },
    async delete(token: string): Promise<boolean> {
      const deleted = await db.delete(registrationTokens).where(eq(registrationTokens.token, token)).returning({ token: registrationTokens.token });
      return deleted.length === 1;
    },
    async isUsable(token: string, now: number): Promise<boolean> {
      const [row] = await db.select({ token: registrationTokens.token }).from(registrationTokens).where(usable(token, now));
      return row !== undefined;
    },
    /** Reserves one use for a registration in progress; false when none is left (atomic). */
    async reserve(token: string, now: number): Promise<boolean> {
      const updated = await db.update(registrationTokens).set({ pending: sql`${registrationTokens.pending} + 1` })
        .where(usable(token, now)).returning({ token: registrationTokens.token });
      return updated.length === 1;
    },
    /** Turns a reserved use into a completed one. */
    async complete(token: string): Promise<void> {
      await db.update(registrationTokens)
        .set({ pending: sql`greatest(${registrationTokens.pending} - 1, 0)`, completed: sql`${registrationTokens.completed} + 1` })
        .where(eq(registrationTokens.token, token));
    },
    /** Gives back a reserved use (the registration session expired). */
    async release(token: string): Promise<void> {
      await db.update(registrationTokens).set({ pending: sql`greatest(${registrationTokens.pending} - 1, 0)` }).where(eq(registrationTokens.token, token));
    },
    /** Sets the given fields (admin API); undefined when the token does not exist. */
    async update(token: string, change: { usesAllowed?: number | null; expiryTime?: number | null }): Promise<RegistrationTokenRow | undefined> {
      if (change.usesAllowed === undefined && change.expiryTime === undefined) {
        const [row] = await db.select().from(registrationTokens).where(eq(registrationTokens.token, token));
        return row;
      }
      const [row] = await db.update(registrationTokens).set(change).where(eq(registrationTokens.token, token)).returning();
      return row;
    },
  };
}

export type RegistrationTokensRepo = ReturnType<typeof createRegistrationTokensRepo>;

// The account_data table (schema/account-data.ts): upserts that take a new stream position,
// reads by key, and the per-user change feed sync reads by position.
import { inStreamOrder } from "../ordered-writes.ts";
import { and, asc, eq, gt, lte, sql } from "drizzle-orm";
import type { Db } from "../db.ts";
import { accountData } from "../schema/account-data.ts";

/** Room id stored for global account data. */
export const GLOBAL_ACCOUNT_DATA = "";

export interface AccountDataRow {
  /** "" (GLOBAL_ACCOUNT_DATA) for global account data. */
  roomId: string;
  type: string;
  content: Record<string, unknown>;
  streamPosition: number;
}

export function createAccountDataRepo(db: Db) {
  return {
    /** Inserts or replaces one document; returns its new stream position. */
    async put(userId: string, roomId: string, type: string, content: Record<string, unknown>): Promise<number> {
      return inStreamOrder("account_data_stream_position", async () => {
        const json = sql`${JSON.stringify(content)}::jsonb`;
        const [row] = await db
          .insert(accountData)
          .values({ userId, roomId, type, content: json })
          .onConflictDoUpdate({
            target: [accountData.userId, accountData.roomId, accountData.type],
            set: { content: json, streamPosition: sql`nextval('account_data_stream_position')` },
          })
          .returning({ position: accountData.streamPosition });
        return row!.position;
      });
    },

    async get(userId: string, roomId: string, type: string): Promise<Record<string, unknown> | null> {
      const [row] = await db
        .select({ content: accountData.content })
        .from(accountData)
        .where(and(eq(accountData.userId, userId), eq(accountData.roomId, roomId), eq(accountData.type, type)));
      return row?.content ?? null;
    },

    /** What changed for a user in (after, upTo], oldest first: the feed of sync's account data stream. */
    async changes(userId: string, after: number, upTo: number): Promise<AccountDataRow[]> {
      return db
        .select({ roomId: accountData.roomId, type: accountData.type, content: accountData.content, streamPosition: accountData.streamPosition })
        .from(accountData)
        .where(and(eq(accountData.userId, userId), gt(accountData.streamPosition, after), lte(accountData.streamPosition, upTo)))
        .orderBy(asc(accountData.streamPosition));
    },

    /** The highest position handed out so far (0 before any write). */
    async maxPosition(): Promise<number> {
      const rows = await db.execute<{ last_value: string; is_called: boolean }>(sql`select last_value, is_called from account_data_stream_position`);
      return rows[0]?.is_called ? Number(rows[0].last_value) : 0;
    },

    async deleteAll(userId: string): Promise<void> {
      await db.delete(accountData).where(eq(accountData.userId, userId));
    },
  };
}

export type AccountDataRepo = ReturnType<typeof createAccountDataRepo>;

// Admin decisions about rooms and accounts (Synapse's admin API): blocked rooms, locked and
// suspended accounts. No Matrix rules here.
import type { Db } from "../db.ts";

export function createAdminModerationRepo(db: Db) {
  const sql = db.$client;
  return {
    async blockedRooms(): Promise<string[]> {
      return (await sql<{ roomId: string }[]>`select room_id as "roomId" from blocked_rooms`).map((row) => row.roomId);
    },
    /** Who blocked the room, or undefined when it is not blocked. */
    async blockedBy(roomId: string): Promise<string | undefined> {
      const [row] = await sql<{ userId: string }[]>`select user_id as "userId" from blocked_rooms where room_id = ${roomId}`;
      return row?.userId;
    },
    /** A room blocked already keeps its first blocker (as Synapse). */
    async block(roomId: string, userId: string, ts: number): Promise<void> {
      await sql`insert into blocked_rooms (room_id, user_id, blocked_ts) values (${roomId}, ${userId}, ${ts}) on conflict do nothing`;
    },
    async unblock(roomId: string): Promise<void> {
      await sql`delete from blocked_rooms where room_id = ${roomId}`;
    },
    async suspendedUsers(): Promise<string[]> {
      return (await sql<{ userId: string }[]>`select user_id as "userId" from users where suspended`).map((row) => row.userId);
    },
    /** False when there is no such account. */
    async setSuspended(userId: string, suspended: boolean): Promise<boolean> {
      return (await sql`update users set suspended = ${suspended} where user_id = ${userId} returning user_id`).length === 1;
    },
    async setLocked(userId: string, locked: boolean): Promise<boolean> {
      return (await sql`update users set locked = ${locked} where user_id = ${userId} returning user_id`).length === 1;
    },
  };
}

export type AdminModerationRepo = ReturnType<typeof createAdminModerationRepo>;

// Rooms two users are both joined to (current_state), in room id order for paging.
import type { Db } from "../db.ts";

export function createMutualRoomsRepo(db: Db) {
  const sql = db.$client;
  return {
    /** Up to `limit` shared joined rooms with ids after `after` (exclusive), ascending. */
    async page(userA: string, userB: string, after: string | null, limit: number): Promise<string[]> {
      const rows = await sql<{ roomId: string }[]>`select a.room_id as "roomId"
        from current_state a join current_state b on b.room_id = a.room_id and b.type = 'm.room.member' and b.state_key = ${userB} and b.membership = 'join'
        where a.type = 'm.room.member' and a.state_key = ${userA} and a.membership = 'join' ${after === null ? sql`` : sql`and a.room_id > ${after}`}
        order by a.room_id limit ${limit}`;
      return rows.map((row) => row.roomId);
    },

    async count(userA: string, userB: string): Promise<number> {
      const [row] = await sql<{ n: number }[]>`select count(*)::int as n
        from current_state a join current_state b on b.room_id = a.room_id and b.type = 'm.room.member' and b.state_key = ${userB} and b.membership = 'join'
        where a.type = 'm.room.member' and a.state_key = ${userA} and a.membership = 'join'`;
      return row!.n;
    },
  };
}

export type MutualRoomsRepo = ReturnType<typeof createMutualRoomsRepo>;

// Room aliases and the public-directory flag (schema/room-directory.ts, rooms.is_public).
import type { Db } from "../db.ts";

export function createRoomDirectoryRepo(db: Db) {
  const sql = db.$client;
  return {
    /** False when the alias exists already. */
    async createAlias(alias: string, roomId: string, creator: string, createdTs: number): Promise<boolean> {
      const rows = await sql`insert into room_aliases (alias, room_id, creator, created_ts) values (${alias}, ${roomId}, ${creator}, ${createdTs})
        on conflict do nothing returning alias`;
      return rows.length === 1;
    },
    async alias(alias: string): Promise<{ roomId: string; creator: string } | undefined> {
      const [row] = await sql<{ roomId: string; creator: string }[]>`select room_id as "roomId", creator from room_aliases where alias = ${alias}`;
      return row;
    },
    async aliasesOf(roomId: string): Promise<string[]> {
      return (await sql<{ alias: string }[]>`select alias from room_aliases where room_id = ${roomId} order by created_ts, alias`).map((r) => r.alias);
    },
    async deleteAlias(alias: string): Promise<boolean> {
      return (await sql`delete from room_aliases where alias = ${alias} returning alias`).length === 1;
    },
    async setPublic(roomId: string, isPublic: boolean): Promise<boolean> {
      return (await sql`update rooms set is_public = ${isPublic} where room_id = ${roomId} returning room_id`).length === 1;
    },
  };
}

export type RoomDirectoryRepo = ReturnType<typeof createRoomDirectoryRepo>;

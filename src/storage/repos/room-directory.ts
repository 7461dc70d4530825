// Room aliases, the public-directory flag (schema/room-directory.ts, rooms.is_public) and the
// room summaries the directory and the space hierarchy list (room_stats).
import type { Db } from "../db.ts";
import type { RoomStatsColumns } from "./events.ts";

/** A room's summary as room_stats keeps it. */
export interface RoomSummaryRow extends RoomStatsColumns {
  roomId: string;
  joinedMembers: number;
}

/** Which published rooms to list and where a page starts. */
export interface PublishedRoomsQuery {
  limit: number;
  /** Lower-cased substring of name, topic or canonical alias. */
  searchTerm?: string;
  /** Room types to keep; null stands for rooms without a type. */
  roomTypes?: (string | null)[];
  /** Exclusive bound: rooms after it (forwards) or before it (backwards) in the listing order. */
  bound?: { joinedMembers: number; roomId: string; forwards: boolean };
}

const SUMMARY = `s.room_id as "roomId", s.name, s.topic, s.avatar_url as "avatarUrl", s.canonical_alias as "canonicalAlias",
  s.join_rule as "joinRule", s.history_visibility as "historyVisibility", s.guest_access as "guestAccess", s.room_type as "roomType",
  s.encryption, s.joined_members as "joinedMembers"`;

export function createRoomDirectoryRepo(db: Db) {
  const sql = db.$client;

  /** The where clause (after "where") and its parameters shared by the listing and the count. */
  function publishedFilter(query: Omit<PublishedRoomsQuery, "limit" | "bound">, params: unknown[]): string {
    // As Synapse: rooms someone can find a way into, with someone in them.
    const clauses = [
      "r.is_public",
      "(s.join_rule in ('public', 'knock', 'knock_restricted') or s.history_visibility = 'world_readable')",
      "s.joined_members > 0",
    ];
    if (query.searchTerm) {
      params.push(`%${query.searchTerm.replace(/[\\%_]/g, (c) => `\\${c}`)}%`);
      const p = `$${params.length}`;
      clauses.push(`(lower(s.name) like ${p} or lower(s.topic) like ${p} or lower(s.canonical_alias) like ${p})`);
    }
    if (query.roomTypes && query.roomTypes.length > 0) {
      const named = query.roomTypes.filter((t): t is string => t !== null);
      const either: string[] = [];
      if (query.roomTypes.includes(null)) either.push("s.room_type is null");
      if (named.length > 0) {
        params.push(named);
        either.push(`s.room_type = any($${params.length})`);
      }
      clauses.push(`(${either.join(" or ")})`);
    }
    return clauses.join(" and ");
  }

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
    /** Points every alias of one room at another (room upgrades). */
    async moveAliases(fromRoomId: string, toRoomId: string): Promise<void> {
      await sql`update room_aliases set room_id = ${toRoomId} where room_id = ${fromRoomId}`;
    },
    async setPublic(roomId: string, isPublic: boolean): Promise<boolean> {
      return (await sql`update rooms set is_public = ${isPublic} where room_id = ${roomId} returning room_id`).length === 1;
    },
    /** Whether the room is published; undefined for an unknown room. */
    async isPublic(roomId: string): Promise<boolean | undefined> {
      const [row] = await sql<{ isPublic: boolean }[]>`select is_public as "isPublic" from rooms where room_id = ${roomId}`;
      return row?.isPublic;
    },
    async summaries(roomIds: readonly string[]): Promise<RoomSummaryRow[]> {
      if (roomIds.length === 0) return [];
      return sql.unsafe<RoomSummaryRow[]>(`select ${SUMMARY} from room_stats s where s.room_id = any($1)`, [roomIds as string[]]);
    },
    /** One page of published rooms: most joined members first, then by room id. */
    async publishedRooms(query: PublishedRoomsQuery): Promise<RoomSummaryRow[]> {
      const params: unknown[] = [];
      let where = publishedFilter(query, params);
      const forwards = query.bound?.forwards ?? true;
      if (query.bound) {
        params.push(query.bound.joinedMembers, query.bound.roomId);
        const [m, r] = [`$${params.length - 1}`, `$${params.length}`];
        where += forwards ? ` and (s.joined_members < ${m} or (s.joined_members = ${m} and s.room_id > ${r}))`
          : ` and (s.joined_members > ${m} or (s.joined_members = ${m} and s.room_id < ${r}))`;
      }
      params.push(query.limit);
      const order = forwards ? "s.joined_members desc, s.room_id asc" : "s.joined_members asc, s.room_id desc";
      const rows = await sql.unsafe<RoomSummaryRow[]>(
        `select ${SUMMARY} from room_stats s join rooms r using (room_id) where ${where} order by ${order} limit $${params.length}`,
        params as never[],
      );
      return forwards ? rows : rows.reverse();
    },
    async countPublishedRooms(query: Omit<PublishedRoomsQuery, "limit" | "bound">): Promise<number> {
      const params: unknown[] = [];
      const where = publishedFilter(query, params);
      const [row] = await sql.unsafe<{ n: number }[]>(`select count(*)::int as n from room_stats s join rooms r using (room_id) where ${where}`, params as never[]);
      return row?.n ?? 0;
    },
  };
}

export type RoomDirectoryRepo = ReturnType<typeof createRoomDirectoryRepo>;

// What simplified sliding sync (MSC4186) reads besides /sync's queries: each room's latest
// timeline and "bump" event positions (one lateral query over the events_room_stream index), and
// the per-room facts its list filters need, all batched across rooms. No Matrix rules here.
import type { Db } from "../db.ts";

export interface RoomRecencyRow {
  roomId: string;
  /** Position of the room's newest timeline event (null for a room without any here). */
  latest: number | null;
  /** Position of the newest event of one of the bump types. */
  bump: number | null;
}

export function createSlidingSyncRepo(db: Db) {
  const sql = db.$client;
  return {
    /** Newest timeline event and newest bump-type event of each room. */
    async recency(roomIds: readonly string[], bumpTypes: readonly string[]): Promise<RoomRecencyRow[]> {
      if (roomIds.length === 0) return [];
      return sql<RoomRecencyRow[]>`select r.room_id as "roomId",
          (select e.stream_ordering::float8 from events e where e.room_id = r.room_id and not e.outlier and e.rejected_reason is null
            order by e.stream_ordering desc limit 1) as latest,
          (select e.stream_ordering::float8 from events e where e.room_id = r.room_id and not e.outlier and e.rejected_reason is null
            and e.type = any(${bumpTypes as string[]}::text[]) order by e.stream_ordering desc limit 1) as bump
        from unnest(${roomIds as string[]}::text[]) as r(room_id)`;
    },

    /** Content of the current state event (type, "") of each room that has one. */
    async stateContents(roomIds: readonly string[], type: string): Promise<Map<string, Record<string, unknown>>> {
      if (roomIds.length === 0) return new Map();
      const rows = await sql<{ roomId: string; json: string }[]>`select c.room_id as "roomId", e.json from current_state c
        join events e on e.event_id = c.event_id
        where c.room_id = any(${roomIds as string[]}::text[]) and c.type = ${type} and c.state_key = ''`;
      return new Map(rows.map((r) => [r.roomId, ((JSON.parse(r.json) as { content?: Record<string, unknown> }).content ?? {})]));
    },

    /** Rooms named by an m.space.child event with a `via` list in any of the spaces. */
    async spaceChildren(spaceIds: readonly string[]): Promise<Set<string>> {
      if (spaceIds.length === 0) return new Set();
      const rows = await sql<{ child: string; json: string }[]>`select c.state_key as child, e.json from current_state c
        join events e on e.event_id = c.event_id
        where c.room_id = any(${spaceIds as string[]}::text[]) and c.type = 'm.space.child'`;
      const children = rows.filter((r) => Array.isArray((JSON.parse(r.json) as { content?: { via?: unknown } }).content?.via));
      return new Set(children.map((r) => r.child));
    },

    /** The user's m.tag room account data: room -> tag names. */
    async roomTags(userId: string): Promise<Map<string, string[]>> {
      const rows = await sql<{ roomId: string; content: { tags?: Record<string, unknown> } }[]>`select room_id as "roomId", content
        from account_data where user_id = ${userId} and type = 'm.tag' and room_id <> ''`;
      return new Map(rows.map((r) => [r.roomId, Object.keys(r.content?.tags ?? {})]));
    },
  };
}

export type SlidingSyncRepo = ReturnType<typeof createSlidingSyncRepo>;

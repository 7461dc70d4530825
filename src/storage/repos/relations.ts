// Relations between events, read from events.relates_to / rel_type (filled from
// content["m.relates_to"] when an event is persisted): child events, thread summaries, edits,
// references and the thread list. No Matrix rules beyond "which rows": src/rooms/ decides.
// Every query leaves out rejected, outlier and redacted children (a redaction breaks the relation).
import type { Db } from "../db.ts";

/** A child event's id and stream position (the order the relations API pages in). */
export interface RelatedRow {
  eventId: string;
  streamOrdering: number;
}

/** Position bounds of one page: `after` < stream_ordering <= `upTo` (either may be absent). */
export interface PageBounds {
  after?: number;
  upTo?: number;
  /** "b": newest first; "f": oldest first. */
  dir: "b" | "f";
  limit: number;
}

export interface ThreadSummaryRow {
  rootId: string;
  roomId: string;
  count: number;
  latestId: string;
  participated: boolean;
}

export function createRelationsRepo(db: Db) {
  const sql = db.$client;
  const live = () => sql`rejected_reason is null and redacted_by is null and not outlier`;

  return {
    /**
     * Children of `parentId` in the room, and with `depth` > 1 their children too (the filters
     * apply at every level, so a non-matching event also hides what relates to it).
     */
    async children(roomId: string, parentId: string, filter: { relType?: string; eventType?: string; depth: number }, page: PageBounds): Promise<RelatedRow[]> {
      const match = () => sql`room_id = ${roomId} and ${live()}
        ${filter.relType === undefined ? sql`` : sql`and rel_type = ${filter.relType}`}
        ${filter.eventType === undefined ? sql`` : sql`and type = ${filter.eventType}`}`;
      const bounds = sql`${page.after === undefined ? sql`` : sql`and stream_ordering > ${page.after}`}
        ${page.upTo === undefined ? sql`` : sql`and stream_ordering <= ${page.upTo}`}`;
      const order = page.dir === "b" ? sql`stream_ordering desc` : sql`stream_ordering asc`;
      if (filter.depth <= 1) {
        return sql<RelatedRow[]>`select event_id as "eventId", stream_ordering::float8 as "streamOrdering" from events
          where relates_to = ${parentId} and rel_type is not null and ${match()} ${bounds} order by ${order} limit ${page.limit}`;
      }
      return sql<RelatedRow[]>`with recursive related(event_id, stream_ordering, level) as (
          select event_id, stream_ordering, 1 from events where relates_to = ${parentId} and rel_type is not null and ${match()}
          union all
          select e.event_id, e.stream_ordering, r.level + 1 from related r
            join events e on e.relates_to = r.event_id and e.rel_type is not null
          where r.level < ${filter.depth} and ${match()}
        )
        select event_id as "eventId", stream_ordering::float8 as "streamOrdering" from related
        where true ${bounds} order by ${order} limit ${page.limit}`;
    },

    /** Per thread root: live thread replies, the newest one, and whether `userId` sent one. */
    async threadSummaries(rootIds: readonly string[], userId: string): Promise<ThreadSummaryRow[]> {
      if (rootIds.length === 0) return [];
      return sql<ThreadSummaryRow[]>`select relates_to as "rootId", room_id as "roomId", count(*)::int as count,
          (array_agg(event_id order by stream_ordering desc))[1] as "latestId", bool_or(sender = ${userId}) as participated
        from events where relates_to in ${sql(rootIds as string[])} and rel_type = 'm.thread' and ${live()}
        group by relates_to, room_id`;
    },

    /**
     * The newest valid edit of each target (spec: same room, sender and type, no state_key, the
     * target not itself an edit, m.new_content present unless encrypted), newest by
     * origin_server_ts then by event id in code point order.
     */
    async latestEdits(targetIds: readonly string[]): Promise<{ targetId: string; eventId: string }[]> {
      if (targetIds.length === 0) return [];
      return sql<{ targetId: string; eventId: string }[]>`select distinct on (e.relates_to) e.relates_to as "targetId", e.event_id as "eventId"
        from events e join events o on o.event_id = e.relates_to
        where e.relates_to in ${sql(targetIds as string[])} and e.rel_type = 'm.replace'
          and e.rejected_reason is null and e.redacted_by is null and not e.outlier and e.state_key is null
          and o.room_id = e.room_id and o.sender = e.sender and o.type = e.type and o.state_key is null
          and o.rel_type is distinct from 'm.replace'
          and (e.type = 'm.room.encrypted' or jsonb_typeof(e.json::jsonb -> 'content' -> 'm.new_content') = 'object')
        order by e.relates_to, e.origin_server_ts desc, e.event_id collate "C" desc`;
    },

    /** Live m.reference children of the targets, oldest first. */
    async references(targetIds: readonly string[]): Promise<{ targetId: string; roomId: string; eventId: string }[]> {
      if (targetIds.length === 0) return [];
      return sql<{ targetId: string; roomId: string; eventId: string }[]>`select relates_to as "targetId", room_id as "roomId", event_id as "eventId"
        from events where relates_to in ${sql(targetIds as string[])} and rel_type = 'm.reference' and ${live()}
        order by stream_ordering`;
    },

    /**
     * Thread roots of the room by latest live reply, newest first; `upTo` bounds that latest
     * reply's position. With `participant`, only threads they started or replied to.
     */
    async threadRoots(roomId: string, options: { participant?: string; upTo?: number; limit: number }): Promise<{ rootId: string; latest: number }[]> {
      const participant = options.participant ?? null;
      return sql<{ rootId: string; latest: number }[]>`select t.root as "rootId", t.latest::float8 as latest from (
          select relates_to as root, max(stream_ordering) as latest, bool_or(sender = ${participant}) as participated
          from events where room_id = ${roomId} and rel_type = 'm.thread' and ${live()}
          group by relates_to
        ) t join events r on r.event_id = t.root and r.room_id = ${roomId} and r.rejected_reason is null and not r.outlier
        where true ${options.upTo === undefined ? sql`` : sql`and t.latest <= ${options.upTo}`}
          ${participant === null ? sql`` : sql`and (t.participated or r.sender = ${participant})`}
        order by t.latest desc limit ${options.limit}`;
    },

    /** Whether the sender already has a live annotation of the target with this event type and key. */
    async hasAnnotation(targetId: string, sender: string, type: string, key: string): Promise<boolean> {
      const rows = await sql`select 1 from events where relates_to = ${targetId} and rel_type = 'm.annotation'
        and sender = ${sender} and type = ${type} and ${live()}
        and (json::jsonb -> 'content' -> 'm.relates_to' ->> 'key') = ${key} limit 1`;
      return rows.length > 0;
    },

    /** Whether any event relates to this id (a client may know an event this server lacks through its relations). */
    async isRelationTarget(eventId: string): Promise<boolean> {
      const rows = await sql`select 1 from events where relates_to = ${eventId} and rel_type is not null limit 1`;
      return rows.length > 0;
    },
  };
}

export type RelationsRepo = ReturnType<typeof createRelationsRepo>;

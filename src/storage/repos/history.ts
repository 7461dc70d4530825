// Reading room history: pages of the event stream of one room, the state snapshot at a stream
// position, events by timestamp, joined members' profiles. No Matrix rules here: src/rooms/history.ts
// and src/rooms/members.ts decide what a user may see.
import type { Db } from "../db.ts";
import { EVENT_COLUMNS, type EventRow } from "./events.ts";

const COLUMNS = EVENT_COLUMNS;

/** Events of the timeline: outliers and rejected events are never served. */
const TIMELINE = `not outlier and rejected_reason is null`;

export interface PageQuery {
  roomId: string;
  /** b: newest first from `upTo` down; f: oldest first from `after` up. */
  dir: "b" | "f";
  /** Exclusive lower bound (null: from the room's first event). */
  after: number | null;
  /** Inclusive upper bound. */
  upTo: number;
  limit: number;
  /** Type patterns ("*" wildcards) and senders to include or exclude, to keep sparse filters to few rows. */
  types?: readonly string[];
  notTypes?: readonly string[];
  senders?: readonly string[];
  notSenders?: readonly string[];
}

/** A `type like` pattern from a filter's type pattern. */
const likePattern = (pattern: string) => pattern.replace(/[\\%_]/g, (c) => `\\${c}`).replace(/\*/g, "%");

export function createHistoryRepo(db: Db) {
  const sql = db.$client;
  return {
    /** One page of a room's timeline in stream order (index events_room_stream). */
    async page(q: PageQuery): Promise<EventRow[]> {
      const args: unknown[] = [q.roomId, q.upTo, q.limit];
      const where = [`room_id = $1`, `stream_ordering <= $2`, TIMELINE];
      const arg = (value: unknown) => `$${args.push(value)}`;
      if (q.after !== null) where.push(`stream_ordering > ${arg(q.after)}`);
      if (q.types) where.push(`type like any(${arg(q.types.map(likePattern))}::text[])`);
      if (q.notTypes?.length) where.push(`not (type like any(${arg(q.notTypes.map(likePattern))}::text[]))`);
      if (q.senders) where.push(`sender = any(${arg(q.senders)}::text[])`);
      if (q.notSenders?.length) where.push(`sender <> all(${arg(q.notSenders)}::text[])`);
      const order = q.dir === "b" ? "desc" : "asc";
      return sql.unsafe<EventRow[]>(`select ${COLUMNS} from events where ${where.join(" and ")} order by stream_ordering ${order} limit $3`, args as never[]);
    },

    /** The room's newest timeline event at or before `position` that has a state snapshot (the state there). */
    async lastStateEventAt(roomId: string, position: number): Promise<EventRow | undefined> {
      const [row] = await sql.unsafe<EventRow[]>(
        `select ${COLUMNS} from events where room_id = $1 and stream_ordering <= $2 and state_snapshot is not null and ${TIMELINE}
         order by stream_ordering desc limit 1`,
        [roomId, position],
      );
      return row;
    },

    /** Up to `limit` timeline events nearest to `ts` in direction `dir` (f: at or after, b: at or before), nearest first. */
    async nearestByTimestamp(roomId: string, ts: number, dir: "b" | "f", limit: number, upTo: number | null): Promise<EventRow[]> {
      const [cmp, order] = dir === "f" ? [">=", "asc"] : ["<=", "desc"];
      const cap = upTo === null ? "" : `and stream_ordering <= $4`;
      const args = upTo === null ? [roomId, ts, limit] : [roomId, ts, limit, upTo];
      return sql.unsafe<EventRow[]>(
        `select ${COLUMNS} from events where room_id = $1 and origin_server_ts ${cmp} $2 and ${TIMELINE} ${cap}
         order by origin_server_ts ${order}, stream_ordering ${order} limit $3`,
        args as never[],
      );
    },

    /** The joined members with the displayname and avatar_url of their current member event (null when redacted). */
    async joinedMemberProfiles(roomId: string): Promise<{ userId: string; displayname: unknown; avatarUrl: unknown }[]> {
      return sql<{ userId: string; displayname: unknown; avatarUrl: unknown }[]>`
        select c.state_key as "userId",
          case when e.redacted_by is null then e.json::json -> 'content' -> 'displayname' end as displayname,
          case when e.redacted_by is null then e.json::json -> 'content' -> 'avatar_url' end as "avatarUrl"
        from current_state c join events e on e.event_id = c.event_id
        where c.room_id = ${roomId} and c.type = 'm.room.member' and c.membership = 'join'`;
    },
  };
}

export type HistoryRepo = ReturnType<typeof createHistoryRepo>;

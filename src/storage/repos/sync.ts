// What /sync reads, batched across rooms so a sync costs a few queries whatever the number of
// rooms: memberships at a position, timelines of many rooms in one lateral query, state events
// after per-room positions, current state, summaries. No Matrix rules: src/sync/ decides.
import type { Db } from "../db.ts";
import { EVENT_COLUMNS, type EventRow } from "./events.ts";

/** Events of the timeline: outliers and rejected events are never served. */
const TIMELINE = `not outlier and rejected_reason is null`;
/** Below every stream position (backfilled events take negative ones). */
export const STREAM_START = -Number.MAX_SAFE_INTEGER;

export interface MembershipRow {
  roomId: string;
  membership: string;
  eventId: string;
  sender: string;
  streamOrdering: number;
}

export interface TimelineRange {
  roomId: string;
  /** Exclusive lower bound. */
  after: number;
  /** Inclusive upper bound. */
  upTo: number;
}

export interface TimelineFilterColumns {
  types?: readonly string[];
  notTypes?: readonly string[];
  senders?: readonly string[];
  notSenders?: readonly string[];
}

export interface StateChangeRow {
  roomId: string;
  eventId: string;
  type: string;
  stateKey: string;
  replacesState: string | null;
  streamOrdering: number;
}

const likePattern = (pattern: string) => pattern.replace(/[\\%_]/g, (c) => `\\${c}`).replace(/\*/g, "%");

export function createSyncRepo(db: Db) {
  const sql = db.$client;
  return {
    /** The user's membership of every room at stream position `upTo` (their newest member event there). */
    async membershipsAt(userId: string, upTo: number, roomIds?: readonly string[]): Promise<MembershipRow[]> {
      if (roomIds?.length === 0) return [];
      const rooms = roomIds ? sql`and room_id = any(${roomIds as string[]}::text[])` : sql``;
      return sql<MembershipRow[]>`select distinct on (room_id) room_id as "roomId", membership, event_id as "eventId", sender,
          stream_ordering::float8 as "streamOrdering"
        from room_memberships where user_id = ${userId} and stream_ordering <= ${upTo} ${rooms}
        order by room_id, stream_ordering desc`;
    },

    /** The user's newest membership of every room, and the rooms they were ever joined to. */
    async allMemberships(userId: string): Promise<{ rows: MembershipRow[]; everJoined: string[] }> {
      const rows = await sql<(MembershipRow & { everJoined: boolean })[]>`select distinct on (room_id) room_id as "roomId", membership,
          event_id as "eventId", sender, stream_ordering::float8 as "streamOrdering",
          bool_or(membership = 'join') over (partition by room_id) as "everJoined"
        from room_memberships where user_id = ${userId}
        order by room_id, stream_ordering desc`;
      return {
        rows: rows.map(({ everJoined: _, ...row }) => row),
        everJoined: rows.filter((r) => r.everJoined).map((r) => r.roomId),
      };
    },

    async forgottenRooms(userId: string): Promise<Set<string>> {
      const rows = await sql<{ roomId: string }[]>`select room_id as "roomId" from forgotten_rooms where user_id = ${userId}`;
      return new Set(rows.map((r) => r.roomId));
    },

    /** The newest `limit` timeline events of each range (newest first per room), in one lateral query. */
    async timelines(ranges: readonly TimelineRange[], limit: number, filter: TimelineFilterColumns): Promise<EventRow[]> {
      if (ranges.length === 0 || limit <= 0) return [];
      const args: unknown[] = [ranges.map((r) => r.roomId), ranges.map((r) => r.after), ranges.map((r) => r.upTo), limit];
      const arg = (value: unknown) => `$${args.push(value)}`;
      const where = [`e.room_id = r.room_id`, `e.stream_ordering > r.after`, `e.stream_ordering <= r.up_to`, TIMELINE];
      if (filter.types) where.push(`type like any(${arg(filter.types.map(likePattern))}::text[])`);
      if (filter.notTypes?.length) where.push(`not (type like any(${arg(filter.notTypes.map(likePattern))}::text[]))`);
      if (filter.senders) where.push(`sender = any(${arg(filter.senders)}::text[])`);
      if (filter.notSenders?.length) where.push(`sender <> all(${arg(filter.notSenders)}::text[])`);
      return sql.unsafe<EventRow[]>(
        `select t.* from unnest($1::text[], $2::bigint[], $3::bigint[]) as r(room_id, after, up_to)
         cross join lateral (select ${EVENT_COLUMNS} from events e where ${where.join(" and ")}
           order by e.stream_ordering desc limit $4) t`,
        args as never[],
      );
    },

    /** State events of each room after its position, oldest first (to rewind current state, and state deltas). */
    async stateChangesAfter(rooms: readonly { roomId: string; after: number }[]): Promise<StateChangeRow[]> {
      if (rooms.length === 0) return [];
      return sql<StateChangeRow[]>`select e.room_id as "roomId", e.event_id as "eventId", e.type, e.state_key as "stateKey",
          e.replaces_state as "replacesState", e.stream_ordering::float8 as "streamOrdering"
        from unnest(${rooms.map((r) => r.roomId)}::text[], ${rooms.map((r) => r.after)}::bigint[]) as r(room_id, after)
        join events e on e.room_id = r.room_id and e.stream_ordering > r.after
        where e.state_key is not null and not e.outlier and e.rejected_reason is null
        order by e.stream_ordering`;
    },

    /** The current state of the rooms: (room, type, state_key) -> event id. */
    async currentState(roomIds: readonly string[]): Promise<{ roomId: string; type: string; stateKey: string; eventId: string }[]> {
      if (roomIds.length === 0) return [];
      return sql<{ roomId: string; type: string; stateKey: string; eventId: string }[]>`
        select room_id as "roomId", type, state_key as "stateKey", event_id as "eventId" from current_state where room_id = any(${roomIds as string[]}::text[])`;
    },

    /** Name, alias and member counts (room_stats) of the rooms. */
    async summaries(roomIds: readonly string[]): Promise<{ roomId: string; name: string | null; canonicalAlias: string | null; joined: number; invited: number }[]> {
      if (roomIds.length === 0) return [];
      return sql`select room_id as "roomId", name, canonical_alias as "canonicalAlias", joined_members as joined, invited_members as invited
        from room_stats where room_id = any(${roomIds as string[]}::text[])`;
    },

    /**
     * Up to `limit` members of each room other than `userId`: joined and invited ones first,
     * each group in the stream order of their member events (the spec's heroes).
     */
    async heroes(roomIds: readonly string[], userId: string, limit: number): Promise<{ roomId: string; userId: string; membership: string }[]> {
      if (roomIds.length === 0) return [];
      return sql`select r.room_id as "roomId", h.user_id as "userId", h.membership
        from unnest(${roomIds as string[]}::text[]) as r(room_id)
        cross join lateral (select c.state_key as user_id, c.membership from current_state c join events e on e.event_id = c.event_id
          where c.room_id = r.room_id and c.type = 'm.room.member' and c.state_key <> ${userId}
          order by (c.membership in ('join', 'invite')) desc, e.stream_ordering limit ${limit}) h`;
    },

    /** Users joined to any of the rooms (presence is sent about them). */
    async joinedUsers(roomIds: readonly string[]): Promise<string[]> {
      if (roomIds.length === 0) return [];
      const rows = await sql<{ userId: string }[]>`select distinct state_key as "userId" from current_state
        where room_id = any(${roomIds as string[]}::text[]) and type = 'm.room.member' and membership = 'join'`;
      return rows.map((r) => r.userId);
    },
  };
}

export type SyncRepo = ReturnType<typeof createSyncRepo>;

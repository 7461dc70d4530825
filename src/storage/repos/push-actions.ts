// event_push_actions and sent_read_markers (schema/push.ts): the notifications push evaluation
// stored, the read positions (receipts and own events) they are counted after, and the page
// GET /notifications reads. No Matrix rules here: src/push/ decides what to write and count.
import type { Db } from "../db.ts";

/**
 * The notifications of a batch of events, compact: what is the same for every member (room,
 * event, thread) is sent once per event, and the few distinct action lists once per batch.
 * Parameters are most of the cost of writing 5,000 rows.
 */
export interface PushActionBatch {
  events: { roomId: string; eventId: string; streamOrdering: number; threadId: string }[];
  /** Distinct action lists; rows name theirs by index. */
  actions: unknown[][];
  /** Per notification: the user, the index of its event and of its actions, and the highlight flag. */
  userIds: string[];
  eventIndexes: number[];
  actionIndexes: number[];
  highlights: boolean[];
  ts: number;
}

/** One user's read position in a room and thread: "" is an unthreaded receipt. */
export interface ReadMark {
  roomId: string;
  threadId: string;
  streamOrdering: number;
}

/** The sender's read position an event of theirs sets. */
export interface SentMark extends ReadMark {
  userId: string;
}

export interface NotificationCountRow {
  roomId: string;
  threadId: string;
  notifications: number;
  highlights: number;
}

export interface StoredNotification {
  roomId: string;
  eventId: string;
  streamOrdering: number;
  threadId: string;
  highlight: boolean;
  actions: unknown[];
  ts: number;
}

const column = <T, K extends keyof T>(rows: readonly T[], key: K): T[K][] => rows.map((row) => row[key]);

export function createPushActionsRepo(db: Db) {
  const sql = db.$client;
  return {
    /**
     * Stores notifications and the senders' read positions of a batch of events in one
     * statement each (a message in a large room writes one row per notified member).
     */
    async insert(batch: PushActionBatch, marks: readonly SentMark[]): Promise<void> {
      const { events } = batch;
      await Promise.all([
        batch.userIds.length === 0
          ? null
          : // No ON CONFLICT and one index: each event is evaluated once, and index upkeep is most of the write.
            sql`insert into event_push_actions (user_id, room_id, event_id, stream_ordering, thread_id, highlight, actions, ts)
              select n.user_id, e.room_id, e.event_id, e.stream_ordering, e.thread_id, n.highlight = 1, ${JSON.stringify(batch.actions)}::jsonb -> n.action, ${batch.ts}
              from unnest(${batch.userIds}::text[], ${batch.eventIndexes}::int[], ${batch.actionIndexes}::int[], ${batch.highlights.map(Number)}::int[])
                as n(user_id, event, action, highlight)
              join unnest(${column(events, "roomId")}::text[], ${column(events, "eventId")}::text[], ${column(events, "streamOrdering")}::bigint[], ${column(events, "threadId")}::text[])
                with ordinality as e(room_id, event_id, stream_ordering, thread_id, n) on e.n = n.event + 1`,
        marks.length === 0
          ? null
          : sql`insert into sent_read_markers (user_id, room_id, thread_id, stream_ordering)
              select * from unnest(${column(marks, "userId")}::text[], ${column(marks, "roomId")}::text[], ${column(marks, "threadId")}::text[],
                ${column(marks, "streamOrdering")}::bigint[])
              on conflict (user_id, room_id, thread_id) do update set stream_ordering = greatest(sent_read_markers.stream_ordering, excluded.stream_ordering)`,
      ]);
    },

    /**
     * The user's read positions in these rooms per thread: the newest of their m.read and
     * m.read.private receipts ("" for unthreaded ones) and of their own events.
     */
    async readMarks(userId: string, roomIds: readonly string[]): Promise<ReadMark[]> {
      if (roomIds.length === 0) return [];
      return sql<ReadMark[]>`
        select room_id as "roomId", thread_id as "threadId", max(so)::float8 as "streamOrdering" from (
          select r.room_id, r.thread_id, e.stream_ordering as so from receipts r join events e on e.event_id = r.event_id
          where r.user_id = ${userId} and r.room_id = any(${roomIds as string[]}::text[]) and r.receipt_type in ('m.read', 'm.read.private')
          union all
          select room_id, thread_id, stream_ordering from sent_read_markers where user_id = ${userId} and room_id = any(${roomIds as string[]}::text[])
        ) marks group by room_id, thread_id`;
    },

    /**
     * Notifications per room and thread after the read positions: `floors` gives each room's
     * lower bound (its unthreaded receipt), `marks` the per-thread positions above it.
     */
    async counts(userId: string, floors: ReadonlyMap<string, number>, marks: readonly ReadMark[]): Promise<NotificationCountRow[]> {
      if (floors.size === 0) return [];
      return sql<NotificationCountRow[]>`
        select a.room_id as "roomId", a.thread_id as "threadId", count(*)::int as notifications, (count(*) filter (where a.highlight))::int as highlights
        from unnest(${[...floors.keys()]}::text[], ${[...floors.values()]}::bigint[]) as f(room_id, floor)
        join event_push_actions a on a.user_id = ${userId} and a.room_id = f.room_id and a.stream_ordering > f.floor
        left join unnest(${column(marks, "roomId")}::text[], ${column(marks, "threadId")}::text[], ${column(marks, "streamOrdering")}::bigint[])
          as t(room_id, thread_id, so) on t.room_id = a.room_id and t.thread_id = a.thread_id
        where t.so is null or a.stream_ordering > t.so
        group by a.room_id, a.thread_id`;
    },

    /**
     * A page of the user's notifications, newest first, before stream ordering `before`. The one
     * index is (user, room, ordering): the rooms are found by skipping through it, the newest
     * of each room read from its end, and those merged.
     */
    async page(userId: string, options: { before: number | null; limit: number; onlyHighlight: boolean }): Promise<StoredNotification[]> {
      const before = options.before ?? Number.MAX_SAFE_INTEGER;
      return sql<StoredNotification[]>`
        with recursive rooms(room_id) as (
          select min(room_id) from event_push_actions where user_id = ${userId}
          union all
          select (select min(room_id) from event_push_actions where user_id = ${userId} and room_id > rooms.room_id) from rooms where rooms.room_id is not null
        )
        select a.room_id as "roomId", a.event_id as "eventId", a.stream_ordering::float8 as "streamOrdering", a.thread_id as "threadId",
          a.highlight, a.actions, a.ts::float8 as ts
        from rooms cross join lateral (
          select * from event_push_actions
          where user_id = ${userId} and room_id = rooms.room_id and stream_ordering < ${before} ${options.onlyHighlight ? sql`and highlight` : sql``}
          order by stream_ordering desc limit ${options.limit}
        ) a
        where rooms.room_id is not null
        order by a.stream_ordering desc limit ${options.limit}`;
    },

    /** Whose receipt took this position of the receipts stream (receipts' change hook gives only the room). */
    async receiptUser(position: number): Promise<string | null> {
      const [row] = await sql<{ userId: string }[]>`select user_id as "userId" from receipts where stream_position = ${position}`;
      return row?.userId ?? null;
    },
  };
}

export type PushActionsRepo = ReturnType<typeof createPushActionsRepo>;

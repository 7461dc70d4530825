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
      const floorRooms = [...floors.keys()];
      const floorPositions = [...floors.values()];
      const markRooms = column(marks, "roomId");
      const markThreads = column(marks, "threadId");
      const markPositions = column(marks, "streamOrdering");
      const [rows, summaries] = await Promise.all([
        sql<NotificationCountRow[]>`
          select a.room_id as "roomId", a.thread_id as "threadId", count(*)::int as notifications, (count(*) filter (where a.highlight))::int as highlights
          from unnest(${floorRooms}::text[], ${floorPositions}::bigint[]) as f(room_id, floor)
          join event_push_actions a on a.user_id = ${userId} and a.room_id = f.room_id and a.stream_ordering > f.floor
          left join unnest(${markRooms}::text[], ${markThreads}::text[], ${markPositions}::bigint[])
            as t(room_id, thread_id, so) on t.room_id = a.room_id and t.thread_id = a.thread_id
          where t.so is null or a.stream_ordering > t.so
          group by a.room_id, a.thread_id`,
        // Pruned notifications count whole until the user read past the newest of them.
        sql<NotificationCountRow[]>`
          select s.room_id as "roomId", s.thread_id as "threadId", s.notifications, s.highlights
          from unnest(${floorRooms}::text[], ${floorPositions}::bigint[]) as f(room_id, floor)
          join event_push_summary s on s.user_id = ${userId} and s.room_id = f.room_id and s.stream_ordering > f.floor
          left join unnest(${markRooms}::text[], ${markThreads}::text[], ${markPositions}::bigint[])
            as t(room_id, thread_id, so) on t.room_id = s.room_id and t.thread_id = s.thread_id
          where t.so is null or s.stream_ordering > t.so`,
      ]);
      if (summaries.length === 0) return rows;
      const byKey = new Map(rows.map((r) => [`${r.roomId}\u0000${r.threadId}`, { ...r }]));
      for (const summary of summaries) {
        const key = `${summary.roomId}\u0000${summary.threadId}`;
        const row = byKey.get(key);
        if (row) {
          row.notifications += summary.notifications;
          row.highlights += summary.highlights;
        } else byKey.set(key, { ...summary });
      }
      return [...byKey.values()];
    },

    /**
     * Prunes the notifications decided before `cutoffTs` (one transaction, so counts never see
     * them twice or not at all): unread ones are folded into event_push_summary first, then all
     * are deleted, and summaries the user has read past go too. Returns the rows deleted.
     * Read: at or below the user's unthreaded receipt in the room, or their receipt or own
     * event in the notification's thread (as `counts` reads them).
     */
    async prune(cutoffTs: number): Promise<number> {
      return sql.begin(async (tx) => {
        const marks = () => tx`
          select r.user_id, r.room_id, r.thread_id, e.stream_ordering as so from receipts r join events e on e.event_id = r.event_id
          where r.receipt_type in ('m.read', 'm.read.private')
          union all
          select user_id, room_id, thread_id, stream_ordering from sent_read_markers`;
        await tx`
          insert into event_push_summary (user_id, room_id, thread_id, notifications, highlights, stream_ordering)
          select a.user_id, a.room_id, a.thread_id, count(*)::int, (count(*) filter (where a.highlight))::int, max(a.stream_ordering)
          from event_push_actions a
          where a.ts < ${cutoffTs} and not exists (
            select 1 from (${marks()}) m where m.user_id = a.user_id and m.room_id = a.room_id
              and (m.thread_id = '' or m.thread_id = a.thread_id) and m.so >= a.stream_ordering)
          group by a.user_id, a.room_id, a.thread_id
          on conflict (user_id, room_id, thread_id) do update set
            notifications = event_push_summary.notifications + excluded.notifications,
            highlights = event_push_summary.highlights + excluded.highlights,
            stream_ordering = greatest(event_push_summary.stream_ordering, excluded.stream_ordering)`;
        const deleted = await tx`delete from event_push_actions where ts < ${cutoffTs}`;
        await tx`
          delete from event_push_summary s where exists (
            select 1 from (${marks()}) m where m.user_id = s.user_id and m.room_id = s.room_id
              and (m.thread_id = '' or m.thread_id = s.thread_id) and m.so >= s.stream_ordering)`;
        return deleted.count;
      });
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

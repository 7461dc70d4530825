// The receipts table (schema/receipts.ts): one row per (room, receipt type, user, thread), replaced
// on each new receipt with a new stream position; the feed sync reads by position; and the two
// facts about events that receipts need (stream order, thread relation) from the events table.
import { inStreamOrder } from "../ordered-writes.ts";
import { and, asc, eq, gt, inArray, lte, ne, or, sql } from "drizzle-orm";
import type { Db } from "../db.ts";
import { receipts } from "../schema/receipts.ts";
import { events } from "../schema/rooms.ts";

export interface ReceiptRow {
  roomId: string;
  /** "m.read" or "m.read.private". */
  receiptType: string;
  userId: string;
  /** "" for an unthreaded receipt, else "main" or a thread root's event id. */
  threadId: string;
  eventId: string;
  data: Record<string, unknown>;
  streamPosition: number;
}

export function createReceiptsRepo(db: Db) {
  return {
    /** The event id a user's receipt of this type and thread points at, or null. */
    async eventOf(roomId: string, receiptType: string, userId: string, threadId: string): Promise<string | null> {
      const [row] = await db
        .select({ eventId: receipts.eventId })
        .from(receipts)
        .where(and(eq(receipts.roomId, roomId), eq(receipts.receiptType, receiptType), eq(receipts.userId, userId), eq(receipts.threadId, threadId)));
      return row?.eventId ?? null;
    },

    /** Inserts or replaces one receipt; returns its new stream position. */
    async put(row: Omit<ReceiptRow, "streamPosition">): Promise<number> {
      return inStreamOrder("receipts_stream_position", async () => {
        const data = sql`${JSON.stringify(row.data)}::jsonb`;
        const [saved] = await db
          .insert(receipts)
          .values({ ...row, data })
          .onConflictDoUpdate({
            target: [receipts.roomId, receipts.receiptType, receipts.userId, receipts.threadId],
            set: { eventId: row.eventId, data, streamPosition: sql`nextval('receipts_stream_position')` },
          })
          .returning({ position: receipts.streamPosition });
        return saved!.position;
      });
    },

    /**
     * Receipts of these rooms changed in (after, upTo], oldest first, as `viewer` may see them:
     * m.read.private rows only when they are the viewer's own.
     */
    async changes(roomIds: readonly string[], viewer: string, after: number, upTo: number): Promise<ReceiptRow[]> {
      if (roomIds.length === 0) return [];
      return db
        .select()
        .from(receipts)
        .where(
          and(
            inArray(receipts.roomId, [...roomIds]),
            gt(receipts.streamPosition, after),
            lte(receipts.streamPosition, upTo),
            or(ne(receipts.receiptType, "m.read.private"), eq(receipts.userId, viewer)),
          ),
        )
        .orderBy(asc(receipts.streamPosition));
    },

    /** The highest position handed out so far (0 before any receipt). */
    async maxPosition(): Promise<number> {
      const rows = await db.execute<{ last_value: string; is_called: boolean }>(sql`select last_value, is_called from receipts_stream_position`);
      return rows[0]?.is_called ? Number(rows[0].last_value) : 0;
    },

    /** An event's position in the event stream, or null when this server does not have it in that room. */
    async eventStreamOrdering(roomId: string, eventId: string): Promise<number | null> {
      const [row] = await db
        .select({ ordering: events.streamOrdering })
        .from(events)
        .where(and(eq(events.eventId, eventId), eq(events.roomId, roomId)));
      return row?.ordering ?? null;
    },

    /** What an event relates to (content["m.relates_to"]), or null when it has no relation or is unknown. */
    async eventRelation(roomId: string, eventId: string): Promise<{ relatesTo: string; relType: string | null } | null> {
      const [row] = await db
        .select({ relatesTo: events.relatesTo, relType: events.relType })
        .from(events)
        .where(and(eq(events.eventId, eventId), eq(events.roomId, roomId)));
      return row?.relatesTo ? { relatesTo: row.relatesTo, relType: row.relType } : null;
    },
  };
}

export type ReceiptsRepo = ReturnType<typeof createReceiptsRepo>;

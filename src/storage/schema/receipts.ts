// Receipts (m.read, m.read.private, threaded). https://spec.matrix.org/v1.19/client-server-api/#receipts
import { bigint, index, jsonb, pgSequence, pgTable, primaryKey, text } from "drizzle-orm/pg-core";
import { sql } from "drizzle-orm";

/** Positions of the receipts stream (sync reads changes after a position). */
export const receiptsStream = pgSequence("receipts_stream_position");

export const receipts = pgTable(
  "receipts",
  {
    roomId: text("room_id").notNull(),
    /** "m.read" or "m.read.private". */
    receiptType: text("receipt_type").notNull(),
    userId: text("user_id").notNull(),
    /** "" for an unthreaded receipt, "main" or a thread root's event id for threaded ones. */
    threadId: text("thread_id").notNull(),
    eventId: text("event_id").notNull(),
    /** The receipt's data, e.g. {"ts": 1700000000000}. */
    data: jsonb("data").$type<Record<string, unknown>>().notNull(),
    streamPosition: bigint("stream_position", { mode: "number" })
      .notNull()
      .default(sql`nextval('receipts_stream_position')`),
  },
  (t) => [
    primaryKey({ columns: [t.roomId, t.receiptType, t.userId, t.threadId] }),
    index("receipts_stream").on(t.streamPosition),
  ],
);

// Account data: per-user JSON documents by type, global or scoped to a room.
// https://spec.matrix.org/v1.19/client-server-api/#client-config
import { sql } from "drizzle-orm";
import { bigint, index, jsonb, pgSequence, pgTable, primaryKey, text } from "drizzle-orm/pg-core";
import { users } from "./accounts.ts";

/**
 * Positions of the account data stream: every write takes the next value, so sync can ask
 * "what changed for this user after position N" with one index range scan.
 * Writes run one at a time (storage/ordered-writes.ts), so positions become visible in order and
 * sync never passes a write still in flight.
 */
export const accountDataStream = pgSequence("account_data_stream_position");

export const accountData = pgTable(
  "account_data",
  {
    userId: text("user_id")
      .notNull()
      .references(() => users.userId, { onDelete: "cascade" }),
    /** The room the data belongs to, or "" for global account data. */
    roomId: text("room_id").notNull(),
    /** The event type, e.g. "m.ignored_user_list", "m.tag", "org.example.config". */
    type: text("type").notNull(),
    /** The event content, a JSON object. */
    content: jsonb("content").$type<Record<string, unknown>>().notNull(),
    /** Position in the account data stream of the last write (see accountDataStream). */
    streamPosition: bigint("stream_position", { mode: "number" })
      .notNull()
      .default(sql`nextval('account_data_stream_position')`),
  },
  (t) => [primaryKey({ columns: [t.userId, t.roomId, t.type] }), index("account_data_user_position").on(t.userId, t.streamPosition)],
);

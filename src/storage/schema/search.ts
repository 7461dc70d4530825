// Full-text search over message bodies, room names and topics (POST /search).
// https://spec.matrix.org/v1.19/client-server-api/#server-side-search
import { bigint, customType, index, pgTable, text } from "drizzle-orm/pg-core";

const tsvector = customType<{ data: string }>({ dataType: () => "tsvector" });

export const eventSearch = pgTable(
  "event_search",
  {
    eventId: text("event_id").primaryKey(),
    roomId: text("room_id").notNull(),
    /** "content.body", "content.name" or "content.topic". */
    key: text("key").notNull(),
    /** to_tsvector('simple', text): language-neutral, as rooms mix languages. */
    vector: tsvector("vector").notNull(),
    streamOrdering: bigint("stream_ordering", { mode: "number" }).notNull(),
    originServerTs: bigint("origin_server_ts", { mode: "number" }).notNull(),
  },
  (t) => [index("event_search_vector").using("gin", t.vector), index("event_search_room").on(t.roomId, t.streamOrdering)],
);

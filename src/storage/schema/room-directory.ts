// Room aliases of this server's domain. https://spec.matrix.org/v1.19/client-server-api/#room-aliases
// (The public directory flag is rooms.is_public in ./rooms.ts.)
import { bigint, index, pgTable, text } from "drizzle-orm/pg-core";

export const roomAliases = pgTable(
  "room_aliases",
  {
    /** The full alias, e.g. "#lobby:example.org". */
    alias: text("alias").primaryKey(),
    roomId: text("room_id").notNull(),
    /** Who created it: they (or a room moderator) may delete it. */
    creator: text("creator").notNull(),
    createdTs: bigint("created_ts", { mode: "number" }).notNull(),
  },
  (t) => [index("room_aliases_room").on(t.roomId)],
);

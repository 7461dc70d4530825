// Presence: each user's latest presence, kept so a restart does not forget it.
// https://spec.matrix.org/v1.19/client-server-api/#presence
import { sql } from "drizzle-orm";
import { bigint, boolean, index, pgSequence, pgTable, text } from "drizzle-orm/pg-core";

/** Positions of the presence stream: a sequence, so a position never goes back across restarts. */
export const presenceStream = pgSequence("presence_stream_position");

export const presence = pgTable(
  "presence",
  {
    userId: text("user_id").primaryKey(),
    /** "online", "unavailable" or "offline". */
    state: text("state").notNull(),
    statusMsg: text("status_msg"),
    /** When the user was last active (ms since the epoch); 0 when never seen active. */
    lastActiveTs: bigint("last_active_ts", { mode: "number" }).notNull(),
    currentlyActive: boolean("currently_active").notNull(),
    /** The position of the last change others were told about. */
    streamPosition: bigint("stream_position", { mode: "number" })
      .notNull()
      .default(sql`nextval('presence_stream_position')`),
  },
  (t) => [
    index("presence_stream").on(t.streamPosition),
    // Startup loads the users who are not offline (the ones with timeouts to watch).
    index("presence_not_offline").on(t.userId).where(sql`state <> 'offline'`),
  ],
);

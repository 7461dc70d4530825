// Reports of events, rooms and users to the server's administrators.
// https://spec.matrix.org/v1.19/client-server-api/#reporting-content
import { bigint, integer, pgTable, text } from "drizzle-orm/pg-core";

export const contentReports = pgTable("content_reports", {
  id: bigint("id", { mode: "number" }).primaryKey().generatedAlwaysAsIdentity(),
  /** "event", "room" or "user". */
  kind: text("kind").notNull(),
  /** The reported room (event and room reports). */
  roomId: text("room_id"),
  /** The reported event (event reports). */
  eventId: text("event_id"),
  /** The reported user (user reports). */
  targetUserId: text("target_user_id"),
  reporter: text("reporter").notNull(),
  reason: text("reason"),
  /** Event reports: -100 (most offensive) to 0, as the client gave it. */
  score: integer("score"),
  receivedTs: bigint("received_ts", { mode: "number" }).notNull(),
});

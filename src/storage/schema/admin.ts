// What server admins decide about rooms through Synapse's admin API.
// shared/reference/synapse-admin-api/rooms.md (Block Room API, Delete Room API)
import { bigint, pgTable, text } from "drizzle-orm/pg-core";

/**
 * Rooms local users may not join, be invited to or knock on (Synapse's blocked_rooms). A room
 * may be blocked before this server knows it; a deleted room may stay blocked.
 */
export const blockedRooms = pgTable("blocked_rooms", {
  roomId: text("room_id").primaryKey(),
  /** The admin who blocked it. */
  userId: text("user_id").notNull(),
  blockedTs: bigint("blocked_ts", { mode: "number" }).notNull(),
});

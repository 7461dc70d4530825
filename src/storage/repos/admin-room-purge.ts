// Removes every row of a room from every table (the admin API's room purge). Tables keyed by
// the room's events or snapshots go first, then those keyed by the room id, all in one
// transaction. No Matrix rules here.
import type { Db } from "../db.ts";

/**
 * Every table that holds rows of a room, by its room_id column. Tables keyed by event or
 * snapshot ids (event_transactions, state_snapshot_entries) are cleared through these first.
 * account_data holds the room's tags and per-room account data; content_reports the reports of it.
 * key_backup_sessions are left: they are the users' own encrypted backups, not the room's.
 */
export const ROOM_TABLES = [
  "event_search", "event_push_actions", "event_push_summary", "sent_read_markers", "receipts", "room_memberships",
  "current_state", "room_forward_extremities", "forgotten_rooms", "room_stats", "room_aliases", "account_data",
  "content_reports", "state_snapshots", "events", "rooms",
] as const;

export function createAdminRoomPurgeRepo(db: Db) {
  const sql = db.$client;
  return {
    async purge(roomId: string): Promise<void> {
      await sql.begin(async (tx) => {
        await tx`delete from event_transactions t using events e where e.room_id = ${roomId} and t.event_id = e.event_id`;
        await tx`delete from state_snapshot_entries x using state_snapshots s where s.room_id = ${roomId} and x.snapshot_id = s.id`;
        for (const table of ROOM_TABLES) await tx.unsafe(`delete from ${table} where room_id = $1`, [roomId]);
      });
    },
  };
}

export type AdminRoomPurgeRepo = ReturnType<typeof createAdminRoomPurgeRepo>;

// State snapshots: the state of a room after any event, stored as deltas on a skip chain so
// that reading a snapshot touches O(log n) deltas and storage grows O(log n) rows per state
// change (not one row per state entry per snapshot). Design and figures: src/rooms/STATE.md.
import { bigint, index, integer, pgTable, primaryKey, text } from "drizzle-orm/pg-core";

export const stateSnapshots = pgTable(
  "state_snapshots",
  {
    id: bigint("id", { mode: "number" }).primaryKey().generatedAlwaysAsIdentity(),
    roomId: text("room_id").notNull(),
    /** The snapshot this one was derived from (one state change, or a resolution, later); null for the first. */
    parent: bigint("parent", { mode: "number" }),
    /** Chain position: parent's + 1 (1 for the first). */
    position: integer("position").notNull(),
    /** The ancestor at position (position & (position - 1)) this snapshot's delta is against; null at the root. */
    base: bigint("base", { mode: "number" }),
  },
  (t) => [index("state_snapshots_room").on(t.roomId)],
);

/** The delta of a snapshot against its base: the entries that differ; event_id null where a key was removed. */
export const stateSnapshotEntries = pgTable(
  "state_snapshot_entries",
  {
    snapshotId: bigint("snapshot_id", { mode: "number" }).notNull(),
    type: text("type").notNull(),
    stateKey: text("state_key").notNull(),
    eventId: text("event_id"),
  },
  (t) => [primaryKey({ columns: [t.snapshotId, t.type, t.stateKey] })],
);

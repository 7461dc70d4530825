// Rooms and their events: the PDUs, the stream order clients page through, forward
// extremities, the current state and per-room summary columns.
// https://spec.matrix.org/v1.19/client-server-api/#rooms
// State snapshots (state at any event) are in ./room-state.ts; the design is in src/rooms/STATE.md.
import { sql } from "drizzle-orm";
import { bigint, boolean, index, integer, pgSequence, pgTable, primaryKey, text, uniqueIndex } from "drizzle-orm/pg-core";

/**
 * The event stream: every persisted event takes the next position. Clients page by it
 * (/messages tokens) and sync reads "what is new after N". Events that federation backfills
 * later will take negative positions (from event_backfill_ordering), as in Synapse.
 */
export const eventStreamOrdering = pgSequence("event_stream_ordering");

export const rooms = pgTable("rooms", {
  roomId: text("room_id").primaryKey(),
  /** The room version from the create event, e.g. "11". */
  roomVersion: text("room_version").notNull(),
  /** The create event's sender. */
  creator: text("creator").notNull(),
  /** Listed in this server's public room directory (POST /publicRooms). */
  isPublic: boolean("is_public").notNull().default(false),
  /** Milliseconds since the epoch when this server learnt of the room. */
  createdTs: bigint("created_ts", { mode: "number" }).notNull(),
});

export const events = pgTable(
  "events",
  {
    eventId: text("event_id").primaryKey(),
    roomId: text("room_id").notNull(),
    /** Position in the event stream (see eventStreamOrdering). */
    streamOrdering: bigint("stream_ordering", { mode: "number" })
      .notNull()
      .default(sql`nextval('event_stream_ordering')`),
    depth: bigint("depth", { mode: "number" }).notNull(),
    type: text("type").notNull(),
    /** Null for message events. */
    stateKey: text("state_key"),
    sender: text("sender").notNull(),
    originServerTs: bigint("origin_server_ts", { mode: "number" }).notNull(),
    /** The PDU as JSON text, signatures included, unsigned excluded; exactly as hashed (v1-v5 numbers kept). */
    json: text("json").notNull(),
    /** content.membership of m.room.member events, for reads that need no JSON parsing. */
    membership: text("membership"),
    /** State snapshot after this event (state_snapshots.id): for a message event, the state before it too. */
    stateSnapshot: bigint("state_snapshot", { mode: "number" }),
    /** For a state event: the event it replaced in the state (unsigned.prev_content comes from it). */
    replacesState: text("replaces_state"),
    /** The m.room.redaction that redacted this event (served redacted from then on). */
    redactedBy: text("redacted_by"),
    /** content["m.relates_to"].event_id, for relations and bundled aggregations. */
    relatesTo: text("relates_to"),
    /** content["m.relates_to"].rel_type. */
    relType: text("rel_type"),
    /** Why the event was rejected by the auth rules, or null. Rejected events are never served. */
    rejectedReason: text("rejected_reason"),
    /** For an event this server's user sent with a txn id: the device and the id (unsigned.transaction_id). */
    senderDevice: text("sender_device"),
    txnId: text("txn_id"),
    /** An event without state (fetched as an auth event or by id), not part of the timeline. */
    outlier: boolean("outlier").notNull().default(false),
  },
  (t) => [
    uniqueIndex("events_stream_ordering").on(t.streamOrdering),
    index("events_room_stream").on(t.roomId, t.streamOrdering),
    index("events_room_ts").on(t.roomId, t.originServerTs),
    // Partial: most events relate to nothing, and a NULL entry would cost every message an index insert.
    index("events_relates_to").on(t.relatesTo, t.relType, t.streamOrdering).where(sql`relates_to is not null`),
    /** GET /threads: a room's thread replies by root, without reading its other events. */
    index("events_room_threads").on(t.roomId, t.relatesTo, t.streamOrdering).where(sql`rel_type = 'm.thread'`),
  ],
);

/** The events of a room that no other event references yet: the next event's prev_events. */
export const roomForwardExtremities = pgTable(
  "room_forward_extremities",
  {
    roomId: text("room_id").notNull(),
    eventId: text("event_id").notNull(),
  },
  (t) => [primaryKey({ columns: [t.roomId, t.eventId] })],
);

/** The room's state now: one row per (type, state_key). */
export const currentState = pgTable(
  "current_state",
  {
    roomId: text("room_id").notNull(),
    type: text("type").notNull(),
    stateKey: text("state_key").notNull(),
    eventId: text("event_id").notNull(),
    /** For m.room.member: the membership, so "rooms of a user" and "members of a room" need no JSON. */
    membership: text("membership"),
  },
  (t) => [
    primaryKey({ columns: [t.roomId, t.type, t.stateKey] }),
    index("current_state_members").on(t.stateKey, t.membership).where(sql`type = 'm.room.member'`),
  ],
);

/**
 * Every membership change, in stream order: "what was the user's membership at stream
 * position N" (history visibility), "which rooms did the user leave" (sync) without reading
 * state snapshots.
 */
export const roomMemberships = pgTable(
  "room_memberships",
  {
    eventId: text("event_id").primaryKey(),
    roomId: text("room_id").notNull(),
    userId: text("user_id").notNull(),
    sender: text("sender").notNull(),
    membership: text("membership").notNull(),
    streamOrdering: bigint("stream_ordering", { mode: "number" }).notNull(),
  },
  (t) => [index("room_memberships_user").on(t.userId, t.roomId, t.streamOrdering), index("room_memberships_room").on(t.roomId, t.streamOrdering)],
);

/** Rooms a user has forgotten (POST /forget); cleared when they join again. */
export const forgottenRooms = pgTable(
  "forgotten_rooms",
  {
    userId: text("user_id").notNull(),
    roomId: text("room_id").notNull(),
  },
  (t) => [primaryKey({ columns: [t.userId, t.roomId] })],
);

/**
 * Summary of a room's current state for the directory, hierarchy and sync summaries,
 * updated in the transaction that changes the state.
 */
export const roomStats = pgTable("room_stats", {
  roomId: text("room_id").primaryKey(),
  name: text("name"),
  topic: text("topic"),
  avatarUrl: text("avatar_url"),
  canonicalAlias: text("canonical_alias"),
  joinRule: text("join_rule"),
  historyVisibility: text("history_visibility"),
  guestAccess: text("guest_access"),
  /** The create event's content.type (e.g. "m.space"). */
  roomType: text("room_type"),
  encryption: text("encryption"),
  joinedMembers: integer("joined_members").notNull().default(0),
  invitedMembers: integer("invited_members").notNull().default(0),
});

/**
 * Transaction ids of sends and redactions (PUT .../{txnId}), scoped to the access token's
 * device as the spec says; a retry returns the same event.
 * https://spec.matrix.org/v1.19/client-server-api/#transaction-identifiers
 */
export const eventTransactions = pgTable(
  "event_transactions",
  {
    userId: text("user_id").notNull(),
    /** The device, or "" for tokens without one (application services). */
    deviceId: text("device_id").notNull(),
    txnId: text("txn_id").notNull(),
    /** The endpoint the id was used on (the path without the txn id): the spec scopes ids to device and endpoint. */
    endpoint: text("endpoint").notNull(),
    /** SHA-256 of the request body: a reuse on the same endpoint with another body is refused. */
    requestHash: text("request_hash").notNull(),
    eventId: text("event_id").notNull(),
    createdTs: bigint("created_ts", { mode: "number" }).notNull(),
  },
  (t) => [primaryKey({ columns: [t.userId, t.deviceId, t.endpoint, t.txnId] })],
);

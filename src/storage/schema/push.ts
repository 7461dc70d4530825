// Push rules, the notifications push evaluation stores, and pushers.
// https://spec.matrix.org/v1.19/client-server-api/#push-rules
// https://spec.matrix.org/v1.19/client-server-api/#receiving-notifications
// Pushers: https://spec.matrix.org/v1.19/client-server-api/#push-notifications
import { sql } from "drizzle-orm";
import { bigint, bigserial, boolean, index, integer, jsonb, pgSequence, pgTable, primaryKey, text, unique } from "drizzle-orm/pg-core";
import { users } from "./accounts.ts";

/** Positions of the push rules stream: each change of a user's rules takes the next value (sync's m.push_rules). */
export const pushRulesStream = pgSequence("push_rules_stream_position");

/**
 * A user's own rules, and their changes to server-default rules (rule ids starting with ".",
 * holding only `enabled` and `actions`). The defaults themselves come from the engine.
 */
export const pushRules = pgTable(
  "push_rules",
  {
    userId: text("user_id")
      .notNull()
      .references(() => users.userId, { onDelete: "cascade" }),
    /** override, content, room, sender or underride. */
    kind: text("kind").notNull(),
    ruleId: text("rule_id").notNull(),
    /** Order among the user's own rules of this kind, most important first (0 for default-rule changes). */
    priority: integer("priority").notNull(),
    /** The rule as the engine takes it (StoredPushRule): actions, enabled, conditions or pattern. */
    rule: jsonb("rule").$type<Record<string, unknown>>().notNull(),
  },
  (t) => [primaryKey({ columns: [t.userId, t.kind, t.ruleId] })],
);

/** Per user, the position of their last push rule change (sync sends m.push_rules when it moved). */
export const pushRulesPositions = pgTable("push_rules_positions", {
  userId: text("user_id")
    .primaryKey()
    .references(() => users.userId, { onDelete: "cascade" }),
  streamPosition: bigint("stream_position", { mode: "number" })
    .notNull()
    .default(sql`nextval('push_rules_stream_position')`),
});

/** What push evaluation decided for a local user and a notifying event (the rule's actions had `notify`). */
export const eventPushActions = pgTable(
  "event_push_actions",
  {
    userId: text("user_id").notNull(),
    roomId: text("room_id").notNull(),
    eventId: text("event_id").notNull(),
    streamOrdering: bigint("stream_ordering", { mode: "number" }).notNull(),
    /** "main" for the main timeline, else the thread root's event id (m.thread relation). */
    threadId: text("thread_id").notNull(),
    highlight: boolean("highlight").notNull(),
    /** The matched rule's actions (JSON array), for GET /notifications. */
    actions: jsonb("actions").$type<unknown[]>().notNull(),
    /** When the notification was decided (ms), GET /notifications' `ts`. */
    ts: bigint("ts", { mode: "number" }).notNull(),
  },
  // The only index: counts per room and thread after a receipt are a range of it, and GET
  // /notifications merges the ranges of the user's rooms. Each message in a room of 5,000
  // writes 5,000 entries, so every further index costs as much as the rows themselves.
  (t) => [primaryKey({ columns: [t.userId, t.roomId, t.streamOrdering] })],
);

/**
 * Notifications older than the retention (src/push/notification-retention.ts), folded per user,
 * room and thread when they were pruned unread: they still count until the user reads past
 * `stream_ordering`, the newest of them.
 */
export const eventPushSummary = pgTable(
  "event_push_summary",
  {
    userId: text("user_id").notNull(),
    roomId: text("room_id").notNull(),
    threadId: text("thread_id").notNull(),
    notifications: integer("notifications").notNull(),
    highlights: integer("highlights").notNull(),
    streamOrdering: bigint("stream_ordering", { mode: "number" }).notNull(),
  },
  (t) => [primaryKey({ columns: [t.userId, t.roomId, t.threadId] })],
);

/**
 * Per user, room and thread, the stream ordering of the user's newest own event there: sending
 * an event marks what precedes it as read, like a receipt (spec: Marking notifications as read).
 */
export const sentReadMarkers = pgTable(
  "sent_read_markers",
  {
    userId: text("user_id").notNull(),
    roomId: text("room_id").notNull(),
    /** "main" or a thread root's event id, as in event_push_actions. */
    threadId: text("thread_id").notNull(),
    streamOrdering: bigint("stream_ordering", { mode: "number" }).notNull(),
  },
  (t) => [primaryKey({ columns: [t.userId, t.roomId, t.threadId] })],
);

/**
 * HTTP pushers: where to send a user's notifications (a push gateway such as Sygnal), set with
 * POST /pushers/set. https://spec.matrix.org/v1.19/client-server-api/#post_matrixclientv3pushersset
 */
export const pushers = pgTable(
  "pushers",
  {
    id: bigserial("id", { mode: "number" }).primaryKey(),
    userId: text("user_id")
      .notNull()
      .references(() => users.userId, { onDelete: "cascade" }),
    /** The device whose access token set it: the pusher goes when that device is deleted. Null for tokens without a device. */
    deviceId: text("device_id"),
    /** "http" (the only kind Myelin delivers). */
    kind: text("kind").notNull(),
    /** Reverse-DNS id of the app, at most 64 characters. */
    appId: text("app_id").notNull(),
    /** The push provider's token for the device (APNs/FCM), at most 512 bytes. */
    pushkey: text("pushkey").notNull(),
    appDisplayName: text("app_display_name").notNull(),
    deviceDisplayName: text("device_display_name").notNull(),
    profileTag: text("profile_tag"),
    lang: text("lang").notNull(),
    /** The client's data object: `url` (the gateway's notify URL), `format` and any custom keys, forwarded without `url`. */
    data: jsonb("data").$type<Record<string, unknown>>().notNull(),
    /** When the pushkey was last set (ms): the notification's pushkey_ts. */
    createdTs: bigint("created_ts", { mode: "number" }).notNull(),
    /** Last delivery the gateway accepted (ms), written at most once a minute. */
    lastSuccessTs: bigint("last_success_ts", { mode: "number" }),
    /** Start of the current run of failed deliveries (ms); null while deliveries succeed. */
    failingSince: bigint("failing_since", { mode: "number" }),
    /** Failed attempts in the current run. */
    failedAttempts: integer("failed_attempts").notNull().default(0),
  },
  (t) => [unique("pushers_app_id_pushkey_user_id_key").on(t.appId, t.pushkey, t.userId), index("pushers_user_id_device_id_idx").on(t.userId, t.deviceId)],
);

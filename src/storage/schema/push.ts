// Push rules and the notifications push evaluation stores.
// https://spec.matrix.org/v1.19/client-server-api/#push-rules
// https://spec.matrix.org/v1.19/client-server-api/#receiving-notifications
import { sql } from "drizzle-orm";
import { bigint, boolean, integer, jsonb, pgSequence, pgTable, primaryKey, text } from "drizzle-orm/pg-core";
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

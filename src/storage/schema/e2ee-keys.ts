// End-to-end encryption keys of devices: identity keys, one-time keys, fallback keys, and the
// device list stream that tells other users' clients to re-fetch a user's keys.
// https://spec.matrix.org/v1.19/client-server-api/#end-to-end-encryption
import { sql } from "drizzle-orm";
import { bigint, boolean, index, jsonb, pgSequence, pgTable, primaryKey, text } from "drizzle-orm/pg-core";
import { users } from "./accounts.ts";

/** A device's signed identity keys (the spec's DeviceKeys object as uploaded); set once per device. */
export const deviceKeys = pgTable(
  "device_keys",
  {
    userId: text("user_id")
      .notNull()
      .references(() => users.userId, { onDelete: "cascade" }),
    deviceId: text("device_id").notNull(),
    keys: jsonb("keys").$type<Record<string, unknown>>().notNull(),
  },
  (t) => [primaryKey({ columns: [t.userId, t.deviceId] })],
);

/** Unclaimed one-time keys; a claim deletes the row. Key ids are unique per device and algorithm. */
export const oneTimeKeys = pgTable(
  "one_time_keys",
  {
    userId: text("user_id").notNull(),
    deviceId: text("device_id").notNull(),
    algorithm: text("algorithm").notNull(),
    keyId: text("key_id").notNull(),
    /** The key as uploaded: a string or a signed object. */
    key: jsonb("key").notNull(),
  },
  (t) => [primaryKey({ columns: [t.userId, t.deviceId, t.algorithm, t.keyId] })],
);

/** One fallback key per device and algorithm, handed out when one-time keys run out. */
export const fallbackKeys = pgTable(
  "fallback_keys",
  {
    userId: text("user_id").notNull(),
    deviceId: text("device_id").notNull(),
    algorithm: text("algorithm").notNull(),
    keyId: text("key_id").notNull(),
    key: jsonb("key").notNull(),
    /** Claimed at least once since it was uploaded. */
    used: boolean("used").notNull().default(false),
  },
  (t) => [primaryKey({ columns: [t.userId, t.deviceId, t.algorithm] })],
);

/**
 * Positions of the device list stream: each change of a user's devices or keys appends a row
 * with the next value. Written one at a time (storage/ordered-writes.ts) so positions become
 * visible in order.
 */
export const deviceListStream = pgSequence("device_list_stream_position");

export const deviceListChanges = pgTable(
  "device_list_changes",
  {
    position: bigint("position", { mode: "number" })
      .primaryKey()
      .default(sql`nextval('device_list_stream_position')`),
    userId: text("user_id").notNull(),
  },
  (t) => [index("device_list_changes_user").on(t.userId, t.position)],
);

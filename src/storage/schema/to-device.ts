// Send-to-device messaging: each device's inbox of pending messages, the transaction ids of
// /sendToDevice, and each user's dehydrated device (MSC3814).
// https://spec.matrix.org/v1.19/client-server-api/#send-to-device-messaging
import { sql } from "drizzle-orm";
import { bigint, foreignKey, jsonb, pgSequence, pgTable, primaryKey, text } from "drizzle-orm/pg-core";
import { devices, users } from "./accounts.ts";

/**
 * Positions of the to-device stream: every message takes the next value. Writes run one at a
 * time (storage/ordered-writes.ts), so a sync that read up to N never misses a message below N.
 */
export const toDeviceStream = pgSequence("to_device_stream_position");

/**
 * Messages waiting for a device, until the device acknowledges them by syncing past them.
 * Rows reference the device: deleting a device (delete_devices, logout/all, deactivation)
 * deletes its inbox.
 */
export const deviceInbox = pgTable(
  "device_inbox",
  {
    userId: text("user_id").notNull(),
    deviceId: text("device_id").notNull(),
    streamPosition: bigint("stream_position", { mode: "number" })
      .notNull()
      .default(sql`nextval('to_device_stream_position')`),
    sender: text("sender").notNull(),
    type: text("type").notNull(),
    content: jsonb("content").$type<Record<string, unknown>>().notNull(),
  },
  (t) => [
    primaryKey({ columns: [t.userId, t.deviceId, t.streamPosition] }),
    foreignKey({ columns: [t.userId, t.deviceId], foreignColumns: [devices.userId, devices.deviceId] }).onDelete("cascade"),
  ],
);

/** Transaction ids of /sendToDevice per sending device: a retried request is not delivered twice. */
export const toDeviceTransactions = pgTable(
  "to_device_transactions",
  {
    userId: text("user_id").notNull(),
    deviceId: text("device_id").notNull(),
    txnId: text("txn_id").notNull(),
    createdTs: bigint("created_ts", { mode: "number" }).notNull(),
  },
  (t) => [
    primaryKey({ columns: [t.userId, t.deviceId, t.txnId] }),
    foreignKey({ columns: [t.userId, t.deviceId], foreignColumns: [devices.userId, devices.deviceId] }).onDelete("cascade"),
  ],
);

/**
 * A user's dehydrated device (at most one): a row of `devices` (so it has an inbox) plus the
 * client's opaque device_data. Deleting the device deletes this row.
 * https://github.com/matrix-org/matrix-spec-proposals/pull/3814
 */
export const dehydratedDevices = pgTable(
  "dehydrated_devices",
  {
    userId: text("user_id")
      .primaryKey()
      .references(() => users.userId, { onDelete: "cascade" }),
    deviceId: text("device_id").notNull(),
    deviceData: jsonb("device_data").$type<Record<string, unknown>>().notNull(),
  },
  (t) => [foreignKey({ columns: [t.userId, t.deviceId], foreignColumns: [devices.userId, devices.deviceId] }).onDelete("cascade")],
);

// Server-side key backups: a user's backup versions and the encrypted room keys in each.
// https://spec.matrix.org/v1.19/client-server-api/#server-side-key-backups
import { bigint, boolean, integer, jsonb, pgTable, primaryKey, text } from "drizzle-orm/pg-core";
import { users } from "./accounts.ts";

/** Backup versions; a deleted version keeps its row (marked) so its number is never reused. */
export const keyBackupVersions = pgTable(
  "key_backup_versions",
  {
    userId: text("user_id")
      .notNull()
      .references(() => users.userId, { onDelete: "cascade" }),
    /** Per-user increasing number, sent to clients as a string. */
    version: bigint("version", { mode: "number" }).notNull(),
    algorithm: text("algorithm").notNull(),
    authData: jsonb("auth_data").$type<Record<string, unknown>>().notNull(),
    /** Increases whenever the keys stored in this version change (sent as a string). */
    etag: bigint("etag", { mode: "number" }).notNull().default(0),
    deleted: boolean("deleted").notNull().default(false),
  },
  (t) => [primaryKey({ columns: [t.userId, t.version] })],
);

/** One backed-up megolm session per (version, room, session): the spec's KeyBackupData. */
export const keyBackupSessions = pgTable(
  "key_backup_sessions",
  {
    userId: text("user_id").notNull(),
    version: bigint("version", { mode: "number" }).notNull(),
    roomId: text("room_id").notNull(),
    sessionId: text("session_id").notNull(),
    firstMessageIndex: integer("first_message_index").notNull(),
    forwardedCount: integer("forwarded_count").notNull(),
    isVerified: boolean("is_verified").notNull(),
    /** Algorithm-dependent encrypted data. */
    sessionData: jsonb("session_data").$type<Record<string, unknown>>().notNull(),
  },
  (t) => [primaryKey({ columns: [t.userId, t.version, t.roomId, t.sessionId] })],
);

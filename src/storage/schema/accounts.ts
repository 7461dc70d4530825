// Accounts: users, their devices, access and refresh tokens, and registration tokens.
// https://spec.matrix.org/v1.19/client-server-api/#client-authentication
import { bigint, bigserial, boolean, foreignKey, index, integer, pgTable, primaryKey, text } from "drizzle-orm/pg-core";

/** One row per local account (guests included). */
export const users = pgTable("users", {
  /** Full user id, e.g. "@alice:example.org". */
  userId: text("user_id").primaryKey(),
  /** argon2id PHC string (Bun.password); null for guests and accounts without a password. */
  passwordHash: text("password_hash"),
  /** Server admin (Synapse's `admin`). */
  isAdmin: boolean("is_admin").notNull().default(false),
  /** Registered with kind=guest. */
  isGuest: boolean("is_guest").notNull().default(false),
  /** Set by /account/deactivate: the id stays reserved, login is refused. */
  deactivated: boolean("deactivated").notNull().default(false),
  /** Locked by an admin: every request but logout answers 401 M_USER_LOCKED (spec: account locking). */
  locked: boolean("locked").notNull().default(false),
  /** Suspended by an admin: joins, invites, knocks and sends are refused with 403 M_USER_SUSPENDED (spec: account suspension). */
  suspended: boolean("suspended").notNull().default(false),
  /** Milliseconds since the epoch. */
  createdTs: bigint("created_ts", { mode: "number" }).notNull(),
});

/** A user's devices: one per login session. */
export const devices = pgTable(
  "devices",
  {
    userId: text("user_id").notNull().references(() => users.userId, { onDelete: "cascade" }),
    deviceId: text("device_id").notNull(),
    /** Set by the client (initial_device_display_name, PUT /devices/{id}). */
    displayName: text("display_name"),
    /** Last request seen with one of the device's tokens, flushed in batches (auth/last-seen.ts). */
    lastSeenIp: text("last_seen_ip"),
    lastSeenTs: bigint("last_seen_ts", { mode: "number" }),
    lastSeenUserAgent: text("last_seen_user_agent"),
    createdTs: bigint("created_ts", { mode: "number" }).notNull(),
  },
  (t) => [primaryKey({ columns: [t.userId, t.deviceId] })],
);

/** Refresh tokens; exchanged once each at /refresh for a new pair (rotation). */
export const refreshTokens = pgTable(
  "refresh_tokens",
  {
    id: bigserial("id", { mode: "number" }).primaryKey(),
    /** sha256 of the token, hex: the token itself is never stored. */
    tokenHash: text("token_hash").notNull().unique(),
    userId: text("user_id").notNull(),
    deviceId: text("device_id").notNull(),
    /** Null: never expires (config refresh_token_lifetime). */
    expiresTs: bigint("expires_ts", { mode: "number" }),
    /** The token this one was exchanged for; a used token may be retried until its successor is used. */
    nextTokenId: bigint("next_token_id", { mode: "number" }),
  },
  (t) => [
    foreignKey({ columns: [t.userId, t.deviceId], foreignColumns: [devices.userId, devices.deviceId] }).onDelete("cascade"),
    index("refresh_tokens_device").on(t.userId, t.deviceId),
  ],
);

/** Access tokens; looked up through an in-memory cache (auth/tokens.ts). */
export const accessTokens = pgTable(
  "access_tokens",
  {
    id: bigserial("id", { mode: "number" }).primaryKey(),
    /** sha256 of the token, hex. */
    tokenHash: text("token_hash").notNull().unique(),
    userId: text("user_id").notNull(),
    deviceId: text("device_id").notNull(),
    /** Null: never expires. Expired tokens answer M_UNKNOWN_TOKEN with soft_logout. */
    expiresTs: bigint("expires_ts", { mode: "number" }),
    /** The refresh token issued with this one, if any. */
    refreshTokenId: bigint("refresh_token_id", { mode: "number" }).references(() => refreshTokens.id, { onDelete: "cascade" }),
    createdTs: bigint("created_ts", { mode: "number" }).notNull(),
  },
  (t) => [
    foreignKey({ columns: [t.userId, t.deviceId], foreignColumns: [devices.userId, devices.deviceId] }).onDelete("cascade"),
    index("access_tokens_device").on(t.userId, t.deviceId),
  ],
);

/** Tokens that allow registration (m.login.registration_token), managed by the admin CLI. */
export const registrationTokens = pgTable("registration_tokens", {
  token: text("token").primaryKey(),
  /** Null: unlimited. */
  usesAllowed: integer("uses_allowed"),
  /** Registrations in progress that passed the token stage but have not completed. */
  pending: integer("pending").notNull().default(0),
  /** Registrations completed with the token. */
  completed: integer("completed").notNull().default(0),
  /** Milliseconds since the epoch; null: never expires. */
  expiryTime: bigint("expiry_time", { mode: "number" }),
});

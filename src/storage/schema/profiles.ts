// Profiles: display name, avatar and custom profile fields of local users.
// https://spec.matrix.org/v1.19/client-server-api/#profiles
import { bigint, jsonb, pgTable, text } from "drizzle-orm/pg-core";
import { users } from "./accounts.ts";

/**
 * One row per local user who has set a profile field. All fields, `displayname` and `avatar_url`
 * included, live in one JSON object: the spec limits the whole profile (64 KiB as canonical JSON),
 * and reads are always of the whole profile or one key of it.
 */
export const profiles = pgTable("profiles", {
  userId: text("user_id")
    .primaryKey()
    .references(() => users.userId, { onDelete: "cascade" }),
  /** Field name -> JSON value, e.g. {"displayname": "Alice", "m.tz": "Europe/London"}. */
  fields: jsonb("fields").$type<Record<string, unknown>>().notNull().default({}),
  /** Milliseconds since the epoch of the last change. */
  updatedTs: bigint("updated_ts", { mode: "number" }).notNull(),
});

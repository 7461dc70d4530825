// Filters uploaded by clients for /sync and other event-returning APIs.
// https://spec.matrix.org/v1.19/client-server-api/#filtering
import { bigserial, index, jsonb, pgTable, text } from "drizzle-orm/pg-core";
import { users } from "./accounts.ts";

export const filters = pgTable(
  "filters",
  {
    /** The filter id handed to the client, as a decimal string (never starts with "{"). */
    id: bigserial("id", { mode: "number" }).primaryKey(),
    /** The owner: a filter is only readable through its owner's /user/{userId}/filter path. */
    userId: text("user_id")
      .notNull()
      .references(() => users.userId, { onDelete: "cascade" }),
    /** The filter definition as uploaded (validated against the spec's Filter schema). */
    definition: jsonb("definition").$type<Record<string, unknown>>().notNull(),
  },
  (t) => [index("filters_user").on(t.userId)],
);

// Users who deactivated with erase: true.
// https://spec.matrix.org/v1.19/client-server-api/#post_matrixclientv3accountdeactivate
import { bigint, pgTable, text } from "drizzle-orm/pg-core";
import { users } from "./accounts.ts";

/** Events of these users are served redacted to anyone who joins a room after the erasure. */
export const erasedUsers = pgTable("erased_users", {
  userId: text("user_id")
    .primaryKey()
    .references(() => users.userId, { onDelete: "cascade" }),
  /** When the erasure was requested, milliseconds since the epoch. */
  erasedTs: bigint("erased_ts", { mode: "number" }).notNull(),
});

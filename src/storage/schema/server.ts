// Facts about the server a database belongs to.
import { jsonb, pgTable, text } from "drizzle-orm/pg-core";

/**
 * One row per fact, e.g. `server_name` (recorded on first start; see repos/server-meta.ts).
 * A key/value table so a new fact needs no migration.
 */
export const serverMeta = pgTable("server_meta", {
  /** Name of the fact, e.g. "server_name". */
  key: text("key").primaryKey(),
  /** The fact's value as JSON (a bare string for server_name). */
  value: jsonb("value").notNull(),
});

// Where each application service's stream of events stands: the last event stream position it
// acknowledged and the transaction in flight, so a restart resends that very transaction and
// then goes on from the position, losing and repeating nothing.
// https://spec.matrix.org/v1.19/application-service-api/#pushing-events
import { bigint, jsonb, pgTable, text } from "drizzle-orm/pg-core";

export const appserviceStreams = pgTable("appservice_streams", {
  /** The registration's `id`. */
  appserviceId: text("appservice_id").primaryKey(),
  /** Every event of interest with a stream position up to this one has been acknowledged (or was in no transaction). */
  streamPosition: bigint("stream_position", { mode: "number" }).notNull(),
  /** The last transaction id handed out (ids are 1, 2, 3... per application service, as Synapse). */
  lastTxnId: bigint("last_txn_id", { mode: "number" }).notNull().default(0),
  /** The transaction sent and not yet acknowledged, or null: resent as is (the spec forbids changing it). */
  pendingTxnId: bigint("pending_txn_id", { mode: "number" }),
  /** Its body: { events, ephemeral? }. */
  pendingBody: jsonb("pending_body").$type<Record<string, unknown>>(),
  /** The stream position the pending transaction covers: the next stream_position once acknowledged. */
  pendingUpTo: bigint("pending_up_to", { mode: "number" }),
});

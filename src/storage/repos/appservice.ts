// Application service streams (schema/appservice.ts) and the events a restarted or lagging
// stream reads back from the events table. No Matrix rules: src/appservice/ decides.
import type { Db } from "../db.ts";
import { EVENT_COLUMNS, type EventRow } from "./events.ts";

export interface AppServiceStreamRow {
  streamPosition: number;
  lastTxnId: number;
  pending: { txnId: number; body: Record<string, unknown>; upTo: number } | null;
}

export function createAppServiceRepo(db: Db) {
  const sql = db.$client;
  return {
    /** The stream of an application service; created at `start` (events from then on) when it has none. */
    async openStream(appserviceId: string, start: number): Promise<AppServiceStreamRow> {
      await sql`insert into appservice_streams (appservice_id, stream_position) values (${appserviceId}, ${start}) on conflict do nothing`;
      const [row] = await sql<{ p: number; t: number; pt: number | null; pb: Record<string, unknown> | string | null; pu: number | null }[]>`
        select stream_position::float8 as p, last_txn_id::float8 as t, pending_txn_id::float8 as pt, pending_body as pb, pending_up_to::float8 as pu
        from appservice_streams where appservice_id = ${appserviceId}`;
      const body = typeof row!.pb === "string" ? (JSON.parse(row!.pb) as Record<string, unknown>) : row!.pb;
      const pending = row!.pt !== null && body !== null && row!.pu !== null ? { txnId: row!.pt, body, upTo: row!.pu } : null;
      return { streamPosition: row!.p, lastTxnId: row!.t, pending };
    },

    /** Records a transaction before it is sent, so a restart sends the same one again. */
    async savePending(appserviceId: string, txnId: number, body: Record<string, unknown>, upTo: number): Promise<void> {
      await sql`update appservice_streams set last_txn_id = ${txnId}, pending_txn_id = ${txnId}, pending_body = ${JSON.stringify(body)}::jsonb,
        pending_up_to = ${upTo} where appservice_id = ${appserviceId}`;
    },

    /** The pending transaction was acknowledged: the stream moves to what it covered. */
    async acknowledge(appserviceId: string, upTo: number): Promise<void> {
      await sql`update appservice_streams set stream_position = ${upTo}, pending_txn_id = null, pending_body = null, pending_up_to = null
        where appservice_id = ${appserviceId}`;
    },

    /** Moves the position over events of no interest (no transaction is pending). */
    async advance(appserviceId: string, position: number): Promise<void> {
      await sql`update appservice_streams set stream_position = greatest(stream_position, ${position})
        where appservice_id = ${appserviceId} and pending_txn_id is null`;
    },

    /** Accepted events with a position in (after, upTo], in stream order, at most `limit`. */
    async eventsBetween(after: number, upTo: number, limit: number): Promise<EventRow[]> {
      return sql.unsafe<EventRow[]>(
        `select ${EVENT_COLUMNS} from events where stream_ordering > $1 and stream_ordering <= $2 and not outlier
         and rejected_reason is null order by stream_ordering limit $3`,
        [after, upTo, limit],
      );
    },

  };
}

export type AppServiceRepo = ReturnType<typeof createAppServiceRepo>;

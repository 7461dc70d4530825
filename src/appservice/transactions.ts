// One application service's stream of transactions: the events of interest in stream order, at
// most MAX_TRANSACTION_EVENTS per transaction, one transaction in flight, retried with the same
// id and body until acknowledged, with exponential backoff (Synapse's _Recoverer: 2 s doubling up
// to 512 s). Live events come from memory; what lies before (a restart, a long outage that
// overflowed the buffer) is read back from the events table in bounded batches.
// https://spec.matrix.org/v1.19/application-service-api/#pushing-events
// https://spec.matrix.org/v1.19/application-service-api/#put_matrixappv1transactionstxnid
import type { AppServiceRegistration } from "../auth/appservice-registry.ts";
import type { Logger } from "../log/logger.ts";
import type { ClientEventFormatter } from "../rooms/client-events.ts";
import { toStoredEvent, type StoredEvent } from "../rooms/stored-event.ts";
import type { AppServiceRepo } from "../storage/repos/appservice.ts";
import type { AppServiceClient } from "../auth/appservice-client.ts";

/** Limit: events in one transaction (Synapse sends up to 100 too). */
export const MAX_TRANSACTION_EVENTS = 100;
/** Limit: events read from the table per query when catching up. */
const CATCH_UP_BATCH = 500;
/** Limit: events of interest waiting in memory; beyond it they are dropped and read back from the table later. */
export const MAX_BUFFERED_EVENTS = 5_000;
/** Limit: positions skipped over (events of no interest) before the position is saved anyway. */
const POSITION_SAVE_STRIDE = 1_000;
/** Limit: how long the application service may take to answer a transaction. */
const TRANSACTION_TIMEOUT_MS = 60_000;

export interface RetryTimings {
  /** First wait after a failure (Synapse: 2 s). */
  initialMs: number;
  /** Longest wait (Synapse: 512 s). */
  maxMs: number;
}

export const DEFAULT_RETRY: RetryTimings = { initialMs: 2_000, maxMs: 512_000 };

interface Pending {
  txnId: number;
  body: Record<string, unknown>;
  upTo: number;
}

export interface TransactionStreamDeps {
  registration: AppServiceRegistration;
  /** The AS's own user id: events are formatted as that user sees them. */
  viewer: string;
  repo: Pick<AppServiceRepo, "openStream" | "savePending" | "acknowledge" | "advance" | "eventsBetween">;
  formatter: Pick<ClientEventFormatter, "format">;
  client: AppServiceClient;
  /** Whether this application service is interested in an event read back from the table. */
  interested(event: StoredEvent): Promise<boolean>;
  /** The highest stream position below which every event has been seen by the dispatcher. */
  releasable(): number;
  /** Ephemeral data waiting for the next transaction (MSC2409), taken when one is built. */
  takeEphemeral?(): Record<string, unknown>[];
  log: Logger;
  retry: RetryTimings;
}

export interface TransactionStream {
  /** An event this application service is interested in (from the rooms bus, in any order). */
  push(event: StoredEvent): void;
  /** Something may be ready to send (the stream advanced, ephemeral data arrived). */
  wake(): void;
  /** Resolves when nothing is left to send or the service is backing off. */
  idle(): Promise<void>;
  close(): Promise<void>;
}

/** Opens the stream where it stopped; events after `liveFrom` come through `push`. */
export async function openTransactionStream(deps: TransactionStreamDeps, liveFrom: number): Promise<TransactionStream> {
  const { registration, repo, log } = deps;
  const id = registration.id;
  const stored = await repo.openStream(id, liveFrom);
  let acked = stored.streamPosition;
  let savedPosition = acked;
  let lastTxnId = stored.lastTxnId;
  let pending: Pending | null = stored.pending;
  /** Events of interest after `bufferFrom`; those up to it are read from the table. */
  let buffer: StoredEvent[] = [];
  let bufferFrom = Math.max(liveFrom, acked);
  let running: Promise<void> | null = null;
  /** A wake that came while running: run once more, something may have become ready. */
  let wokenWhileRunning = false;
  let closed = false;
  let delayMs = 0;
  let retryTimer: ReturnType<typeof setTimeout> | null = null;

  /** The next batch: from the table while behind `bufferFrom`, else from the buffer; null when nothing is ready. */
  async function nextBatch(): Promise<{ events: StoredEvent[]; upTo: number } | null> {
    const bound = deps.releasable();
    if (bufferFrom > acked) {
      const to = Math.min(bufferFrom, bound);
      if (to <= acked) return null;
      const rows = await repo.eventsBetween(acked, to, CATCH_UP_BATCH);
      let upTo = rows.length === CATCH_UP_BATCH ? rows[rows.length - 1]!.streamOrdering : to;
      const events: StoredEvent[] = [];
      for (const row of rows) {
        const event = toStoredEvent(row);
        if (!(await deps.interested(event))) continue;
        if (events.length === MAX_TRANSACTION_EVENTS) {
          upTo = events[events.length - 1]!.streamOrdering;
          break;
        }
        events.push(event);
      }
      return { events, upTo };
    }
    if (buffer.length === 0 || buffer[0]!.streamOrdering > bound) return { events: [], upTo: Math.max(acked, bound) };
    buffer.sort((a, b) => a.streamOrdering - b.streamOrdering);
    let count = 0;
    while (count < buffer.length && count < MAX_TRANSACTION_EVENTS && buffer[count]!.streamOrdering <= bound) count++;
    const events = buffer.slice(0, count);
    buffer = buffer.slice(count);
    const more = buffer.length > 0 && buffer[0]!.streamOrdering <= bound;
    return { events, upTo: more ? events[events.length - 1]!.streamOrdering : bound };
  }

  /** Builds and records the next transaction; null when there is nothing to send. */
  async function build(): Promise<Pending | null> {
    for (;;) {
      // Ephemeral data goes out even when no event is ready (then the position stays).
      const batch = (await nextBatch()) ?? { events: [], upTo: acked };
      const ephemeral = deps.takeEphemeral?.() ?? [];
      if (batch.events.length === 0 && ephemeral.length === 0) {
        if (batch.upTo <= acked) return null;
        acked = batch.upTo;
        if (acked - savedPosition >= POSITION_SAVE_STRIDE) await savePosition();
        continue;
      }
      try {
        // Full events as a client sees them, from the AS's own user's point of view (no bundled aggregations).
        const events = await deps.formatter.format(batch.events, { userId: deps.viewer, deviceId: null }, { aggregations: false });
        const body: Record<string, unknown> = { events };
        if (ephemeral.length > 0) body.ephemeral = ephemeral;
        const txnId = lastTxnId + 1;
        await repo.savePending(id, txnId, body, batch.upTo);
        lastTxnId = txnId;
        return { txnId, body, upTo: batch.upTo };
      } catch (error) {
        // Not recorded: the events taken from the buffer are read back from the table instead.
        bufferFrom = Math.max(bufferFrom, batch.upTo);
        throw error;
      }
    }
  }

  async function savePosition(): Promise<void> {
    await repo.advance(id, acked);
    savedPosition = acked;
  }

  async function send(transaction: Pending): Promise<boolean> {
    try {
      const answer = await deps.client.call(registration, "PUT", `/_matrix/app/v1/transactions/${transaction.txnId}`, transaction.body, { timeoutMs: TRANSACTION_TIMEOUT_MS });
      if (answer.status >= 200 && answer.status < 300) return true;
      log.warn("application service refused a transaction", { appservice: id, txn_id: transaction.txnId, status: answer.status });
    } catch (error) {
      log.warn("application service unreachable", { appservice: id, txn_id: transaction.txnId, error: String(error) });
    }
    return false;
  }

  async function run(): Promise<void> {
    while (!closed) {
      pending ??= await build();
      if (!pending || closed) return;
      if (!(await send(pending))) {
        delayMs = delayMs === 0 ? deps.retry.initialMs : Math.min(delayMs * 2, deps.retry.maxMs);
        if (!closed) retryTimer = setTimeout(() => ((retryTimer = null), wake()), delayMs);
        return;
      }
      delayMs = 0;
      await repo.acknowledge(id, pending.upTo);
      acked = savedPosition = pending.upTo;
      pending = null;
    }
  }

  function wake(): void {
    if (running) wokenWhileRunning = true;
    if (closed || running || retryTimer) return;
    wokenWhileRunning = false;
    running = run()
      .catch((error) => {
        // A database error: try again after the usual wait rather than spin.
        log.error("application service stream failed", { appservice: id, error: String(error) });
        delayMs = Math.min(Math.max(delayMs * 2, deps.retry.initialMs), deps.retry.maxMs);
        if (!closed) retryTimer = setTimeout(() => ((retryTimer = null), wake()), delayMs);
      })
      .finally(() => {
        running = null;
        // Events that came in while this run finished its last batch.
        if (wokenWhileRunning) queueMicrotask(wake);
      });
  }

  return {
    push(event) {
      if (closed || event.streamOrdering <= Math.max(bufferFrom, acked)) return;
      buffer.push(event);
      if (buffer.length > MAX_BUFFERED_EVENTS) {
        // The AS has been down long: keep the position only, read the events back when it returns.
        bufferFrom = Math.max(...buffer.map((e) => e.streamOrdering));
        buffer = [];
      }
      wake();
    },
    wake,
    async idle() {
      while (running) await running;
    },
    async close() {
      closed = true;
      if (retryTimer) clearTimeout(retryTimer);
      retryTimer = null;
      await running;
      if (!pending && acked > savedPosition) await savePosition().catch(() => {});
    },
  };
}

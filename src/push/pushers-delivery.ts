// Delivery to push gateways, off the event path: the evaluator hands over each stored batch of
// notifications; those of users with pushers join one ordered queue per pusher. A queue sends
// one request at a time; a failure is retried with exponential backoff (Synapse's: from 1 s,
// doubling, at most 1 h) until the notification has failed for a day, then it is dropped and
// the next one tried. A receipt (or any count change) queues a badge update, sent when the
// unread count differs from the last one the gateway got. Queues live in memory.
// https://spec.matrix.org/v1.19/push-gateway-api/#homeserver-behaviour
import type { Logger } from "../log/logger.ts";
import type { PushActionBatch } from "../storage/repos/push-actions.ts";
import type { PusherRow, PushersRepo } from "../storage/repos/pushers.ts";
import type { PushGateway } from "./push-gateway.ts";
import type { Pushers } from "./pushers.ts";
import type { PushPayloads } from "./pushers-payload.ts";

/** Limit: notifications waiting per pusher; past it the oldest is dropped (a gateway down for long). */
export const MAX_QUEUED_PER_PUSHER = 1_000;
/** Limit: how often a pusher's last success is written (ms); deliveries in between are not recorded. */
const SUCCESS_WRITE_INTERVAL_MS = 60_000;

/** Retry and timeout figures; tests shorten them (the object is read at each use). */
export interface DeliveryTimings {
  /** First retry delay after a failure; doubles with each failure. */
  initialBackoffMs: number;
  maxBackoffMs: number;
  /** A notification failing this long is dropped. */
  giveUpAfterMs: number;
  /** Limit: how long a gateway may take to answer. */
  requestTimeoutMs: number;
}

export const DEFAULT_TIMINGS: DeliveryTimings = { initialBackoffMs: 1_000, maxBackoffMs: 3_600_000, giveUpAfterMs: 86_400_000, requestTimeoutMs: 15_000 };

/** An event to notify (not sent before `notBefore` with push.jitter_delay), or a badge update. */
type Item = { kind: "event"; eventId: string; actions: readonly unknown[]; notBefore?: number } | { kind: "badge" };

interface Queue {
  id: number;
  userId: string;
  items: Item[];
  running: boolean;
  retry?: ReturnType<typeof setTimeout>;
  backoffMs: number;
  failingSince: number | null;
  lastBadge: number | null;
  lastSuccessWrite: number;
}

export function createPusherDelivery(deps: {
  pushers: Pick<Pushers, "get" | "ofUser" | "hasAny" | "delete" | "startsAfter">;
  gateway: PushGateway;
  payloads: PushPayloads;
  repo: Pick<PushersRepo, "succeeded" | "failed">;
  /** push.jitter_delay in ms (0: none). */
  jitterMs: number;
  log: Logger;
  now: () => number;
}) {
  const { log, now } = deps;
  const timings: DeliveryTimings = { ...DEFAULT_TIMINGS };
  const queues = new Map<number, Queue>();
  const aborter = new AbortController();
  let closed = false;

  // Each user's badge, computed once per change of their counts and shared by their pushers.
  const badges = new Map<string, { generation: number; value: Promise<number> }>();
  const generations = new Map<string, number>();
  function badgeOf(userId: string): Promise<number> {
    const generation = generations.get(userId) ?? 0;
    const known = badges.get(userId);
    if (known?.generation === generation) return known.value;
    const value = deps.payloads.badge(userId);
    badges.set(userId, { generation, value });
    value.catch(() => badges.get(userId)?.value === value && badges.delete(userId));
    return value;
  }

  function queueOf(pusher: PusherRow): Queue {
    let queue = queues.get(pusher.id);
    if (!queue) {
      queue = { id: pusher.id, userId: pusher.userId, items: [], running: false, backoffMs: timings.initialBackoffMs, failingSince: null, lastBadge: null, lastSuccessWrite: 0 };
      queues.set(pusher.id, queue);
    }
    return queue;
  }

  function push(queue: Queue, item: Item): void {
    if (item.kind === "badge" && queue.items.some((queued, i) => queued.kind === "badge" && (i > 0 || !queue.running))) return;
    queue.items.push(item);
    if (queue.items.length > MAX_QUEUED_PER_PUSHER) {
      const dropped = queue.items.splice(queue.running ? 1 : 0, 1)[0];
      log.warn("push queue full: dropped the oldest notification", { user_id: queue.userId, pusher: queue.id, event_id: dropped?.kind === "event" ? dropped.eventId : null });
    }
    // After the current tick: the counts' change listeners run first (they invalidate the badge).
    queueMicrotask(() => void run(queue));
  }

  const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms).unref?.());

  /** Sends one item; true when done with it (sent, or nothing to send). */
  async function attempt(queue: Queue, pusher: PusherRow, item: Item): Promise<boolean> {
    const badge = await badgeOf(queue.userId);
    let body: unknown;
    if (item.kind === "badge") {
      if (badge === queue.lastBadge) return true;
      body = deps.payloads.badgeUpdate(pusher, badge);
    } else {
      body = await deps.payloads.event(pusher, queue.userId, item.eventId, item.actions, badge);
      if (body === null) return true;
    }
    const outcome = await deps.gateway.notify(String(pusher.data.url), body, timings.requestTimeoutMs, aborter.signal);
    if (!outcome.ok) {
      log.warn("push failed", { user_id: queue.userId, app_id: pusher.appId, reason: outcome.reason });
      return false;
    }
    queue.lastBadge = badge;
    if (outcome.rejected.includes(pusher.pushkey)) {
      // The gateway says the pushkey is no longer valid: the pusher goes (spec: "must ... remove").
      log.info("push gateway rejected a pushkey: pusher removed", { user_id: queue.userId, app_id: pusher.appId });
      await deps.pushers.delete(pusher.userId, pusher.appId, pusher.pushkey);
    }
    return true;
  }

  async function run(queue: Queue): Promise<void> {
    if (queue.running || queue.retry || closed) return;
    queue.running = true;
    try {
      while (queue.items.length > 0 && !closed) {
        const pusher = deps.pushers.get(queue.id);
        if (!pusher) {
          queues.delete(queue.id); // Deleted meanwhile: what waits for it is dropped.
          return;
        }
        const item = queue.items[0]!;
        if (item.kind === "event" && item.notBefore !== undefined) {
          const wait = item.notBefore - now();
          if (wait > 0) await sleep(wait);
          item.notBefore = undefined;
        }
        let done: boolean;
        try {
          done = await attempt(queue, pusher, item);
        } catch (error) {
          log.error("preparing a push failed", { user_id: queue.userId, error: String(error) });
          done = false;
        }
        if (closed) return;
        if (done || item.kind === "badge") {
          // Badge updates are not retried (as Synapse): the next change sends a fresh count.
          queue.items.shift();
          if (done && !(await recordSuccess(queue))) return void queues.delete(queue.id);
          continue;
        }
        queue.failingSince ??= now();
        // The row is gone (the pusher was deleted meanwhile): so is its queue.
        if (!(await deps.repo.failed(queue.id, queue.failingSince).catch(() => true))) return void queues.delete(queue.id);
        if (now() - queue.failingSince >= timings.giveUpAfterMs) {
          // Given up on this one, so a gateway back after a long outage gets no flood of stale pushes.
          log.warn("giving up on a push notification", { user_id: queue.userId, pusher: queue.id });
          queue.items.shift();
          queue.failingSince = null;
          queue.backoffMs = timings.initialBackoffMs;
          continue;
        }
        const delay = queue.backoffMs;
        queue.backoffMs = Math.min(queue.backoffMs * 2, timings.maxBackoffMs);
        queue.retry = setTimeout(() => {
          queue.retry = undefined;
          void run(queue);
        }, delay);
        queue.retry.unref?.();
        return;
      }
    } finally {
      queue.running = false;
    }
  }

  /** Resets the backoff and records the success now and then; false when the pusher's row is gone. */
  async function recordSuccess(queue: Queue): Promise<boolean> {
    const recovered = queue.failingSince !== null;
    queue.failingSince = null;
    queue.backoffMs = timings.initialBackoffMs;
    if (!recovered && now() - queue.lastSuccessWrite < SUCCESS_WRITE_INTERVAL_MS) return true;
    queue.lastSuccessWrite = now();
    return deps.repo.succeeded(queue.id, queue.lastSuccessWrite).catch(() => true);
  }

  return {
    timings,

    /** The evaluator's stored-batch hook: queues each notification of a user with pushers. Synchronous and cheap. */
    notified(batch: PushActionBatch): void {
      if (closed) return;
      batch.userIds.forEach((userId, i) => {
        if (!deps.pushers.hasAny(userId)) return;
        const event = batch.events[batch.eventIndexes[i]!]!;
        const actions = batch.actions[batch.actionIndexes[i]!]!;
        for (const pusher of deps.pushers.ofUser(userId)) {
          if (event.streamOrdering <= deps.pushers.startsAfter(pusher.id)) continue;
          const notBefore = deps.jitterMs > 0 ? batch.ts + 1 + Math.floor(Math.random() * deps.jitterMs) : undefined;
          push(queueOf(pusher), { kind: "event", eventId: event.eventId, actions, notBefore });
        }
      });
    },

    /** The unread counts' change hook: a user's count may have moved (receipt, own event, notification). */
    countsChanged(userId: string): void {
      if (closed || !deps.pushers.hasAny(userId)) return;
      generations.set(userId, (generations.get(userId) ?? 0) + 1);
      badges.delete(userId);
      for (const pusher of deps.pushers.ofUser(userId)) push(queueOf(pusher), { kind: "badge" });
    },

    /** Stops retries and requests in flight; what is queued is dropped. */
    close(): void {
      closed = true;
      aborter.abort();
      for (const queue of queues.values()) if (queue.retry) clearTimeout(queue.retry);
      queues.clear();
    },
  };
}

export type PusherDelivery = ReturnType<typeof createPusherDelivery>;

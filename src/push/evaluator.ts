// Push evaluation of every persisted event for the room's local members, off the send path:
// the bus subscriber only queues the event; a drain loop takes the queue in order, evaluates
// each event for all local joined members in ONE engine call (rule sets compiled once per user
// and kept until they change), and stores the notifying outcomes of a batch in one statement.
// https://spec.matrix.org/v1.19/client-server-api/#server-behaviour-4 ("process push rules for
// each of the local users in the room (excluding the sender)"; the engine skips the sender)
import type { Engine, PushRuleOptions } from "../engine/index.ts";
import { stateKey } from "../engine/index.ts";
import type { Logger } from "../log/logger.ts";
import { userPower } from "../rooms/power-levels.ts";
import type { RoomHeads } from "../rooms/room-heads.ts";
import type { StateStore } from "../rooms/state-store.ts";
import type { EventCache, StoredEvent } from "../rooms/stored-event.ts";
import type { PushActionBatch, PushActionsRepo, SentMark } from "../storage/repos/push-actions.ts";
import { createPreparedRules } from "./prepared-rules.ts";
import { createRoomMemberViews } from "./room-members.ts";
import type { PushRules } from "./rules.ts";

/** The thread id of the main timeline. */
export const MAIN_THREAD = "main";

/** Limit: how long read positions moved by sends may wait to be written with others. */
const MARKS_FLUSH_MS = 250;
/** Limit: relation hops followed to find an event's thread (the spec recommends at most 3). */
const MAX_THREAD_HOPS = 3;
/** Limit: notification rows written in one statement (a batch of queued events is split there). */
const MAX_BATCH_ROWS = 20_000;

export interface PushEvaluatorDeps {
  engine: Pick<Engine, "evaluatePush" | "preparePushRules">;
  rooms: { heads: RoomHeads; cache: EventCache; stateStore: StateStore };
  rules: Pick<PushRules, "storedMany" | "onChange">;
  repo: Pick<PushActionsRepo, "insert">;
  serverName: string;
  log: Logger;
  options?: PushRuleOptions;
  now?: () => number;
}

/** One mark per (user, room, thread), the newest: a statement may update each row once. */
function newestMarks(marks: readonly SentMark[]): SentMark[] {
  const newest = new Map<string, SentMark>();
  for (const mark of marks) {
    const key = JSON.stringify([mark.userId, mark.roomId, mark.threadId]);
    if ((newest.get(key)?.streamOrdering ?? -1) < mark.streamOrdering) newest.set(key, mark);
  }
  return [...newest.values()];
}

export function createPushEvaluator(deps: PushEvaluatorDeps) {
  const { engine, rooms, log } = deps;
  const now = deps.now ?? Date.now;
  const suffix = `:${deps.serverName}`;
  const isLocal = (userId: string) => userId.endsWith(suffix);
  const members = createRoomMemberViews({ cache: rooms.cache, isLocal });

  const prepared = createPreparedRules({ engine, rules: deps.rules });

  /** "main", or the root of the thread the event is in (m.thread relation, followed up to MAX_THREAD_HOPS). */
  async function threadOf(event: StoredEvent): Promise<string> {
    let relation = { relatesTo: event.relatesTo, relType: event.relType };
    for (let hop = 0; hop < MAX_THREAD_HOPS && relation.relatesTo; hop++) {
      if (relation.relType === "m.thread") return relation.relatesTo;
      const parent = await rooms.cache.one(relation.relatesTo);
      if (!parent || parent.roomId !== event.roomId) break;
      relation = { relatesTo: parent.relatesTo, relType: parent.relType };
    }
    return MAIN_THREAD;
  }

  async function notificationLevels(state: ReadonlyMap<string, string>): Promise<Record<string, number>> {
    const id = state.get(stateKey("m.room.power_levels", ""));
    const content = id ? (await rooms.cache.one(id))?.pdu.content : undefined;
    const levels = (content as { notifications?: unknown } | undefined)?.notifications;
    if (typeof levels !== "object" || levels === null) return {};
    return Object.fromEntries(Object.entries(levels).filter((entry): entry is [string, number] => Number.isSafeInteger(entry[1])));
  }

  /** A batch to fill: its action lists are deduplicated by their JSON. */
  const newBatch = (): PushActionBatch & { actionIndex: Map<string, number> } => ({
    events: [], actions: [], userIds: [], eventIndexes: [], actionIndexes: [], highlights: [], ts: now(), actionIndex: new Map(),
  });

  /** Evaluates one event; adds its notifications and the sender's read position to the batch. */
  async function evaluate(event: StoredEvent, batch: ReturnType<typeof newBatch>, sent: SentMark[]): Promise<Set<string>> {
    const touched = new Set<string>();
    if (event.outlier || event.rejectedReason) return touched;
    const head = await rooms.heads.get(event.roomId);
    if (!head) return touched;
    // The state after the event: what a message sees is the state it was sent in.
    const state = event.stateSnapshot === null || event.stateSnapshot === head.snapshot ? head.state : await rooms.stateStore.state(event.stateSnapshot);
    const view = await members.view(event.roomId, state);
    const threadId = await threadOf(event);
    if (isLocal(event.sender)) {
      sent.push({ userId: event.sender, roomId: event.roomId, threadId, streamOrdering: event.streamOrdering });
      touched.add(event.sender);
    }
    const userIds = [...view.localJoined.keys()];
    // An invite notifies the invited local user (.m.rule.invite_for_me), who is not joined yet.
    if (event.type === "m.room.member" && event.membership === "invite" && event.stateKey && isLocal(event.stateKey) && !view.localJoined.has(event.stateKey)) {
      userIds.push(event.stateKey);
    }
    if (userIds.length === 0 || (userIds.length === 1 && userIds[0] === event.sender)) return touched;
    const level = await userPower(state === head.state ? head : { ...head, state }, rooms.cache, event.sender);
    const context = {
      memberCount: view.joinedCount,
      senderPowerLevel: level === Infinity || Number.isSafeInteger(level) ? level : Math.trunc(level) || 0,
      notificationPowerLevels: await notificationLevels(state),
      legacyMentionRules: deps.options?.legacyMentionRules ?? false,
    };
    await prepared.load(userIds);
    // From here on synchronous: no rule change can release a rule set in use.
    const recipients = userIds.map((userId) => ({ userId, displayName: view.localJoined.get(userId) ?? null, rules: prepared.get(userId) }));
    const outcomes = engine.evaluatePush({ ...event.pdu, event_id: event.eventId }, context, recipients);
    const eventIndex = batch.events.push({ roomId: event.roomId, eventId: event.eventId, streamOrdering: event.streamOrdering, threadId }) - 1;
    // Recipients with the same rule share one outcome object: its actions are looked up once.
    const actionOf = new Map<object, number>();
    outcomes.forEach((outcome, i) => {
      if (!outcome.notify) return;
      let action = actionOf.get(outcome);
      if (action === undefined) {
        const json = JSON.stringify(outcome.actions);
        action = batch.actionIndex.get(json);
        if (action === undefined) batch.actionIndex.set(json, (action = batch.actions.push(outcome.actions as unknown[]) - 1));
        actionOf.set(outcome, action);
      }
      const userId = userIds[i]!;
      batch.userIds.push(userId);
      batch.eventIndexes.push(eventIndex);
      batch.actionIndexes.push(action);
      batch.highlights.push(outcome.highlight);
      touched.add(userId);
    });
    prepared.trim();
    return touched;
  }

  // The queue: events in bus order, drained by one loop at a time.
  const queue: StoredEvent[] = [];
  let enqueued = 0;
  let processed = 0;
  let draining = false;
  const waiters: { target: number; resolve: () => void }[] = [];
  const listeners: ((userIds: ReadonlySet<string>) => void)[] = [];
  const storedListeners: ((batch: PushActionBatch) => void)[] = [];

  // Read positions a send moved and no notification came with: written together, within
  // MARKS_FLUSH_MS or before counts are read (settled), not one statement per message.
  const pendingMarks = new Map<string, SentMark>();
  let marksTimer: ReturnType<typeof setTimeout> | undefined;
  async function flushMarks(): Promise<void> {
    if (marksTimer) clearTimeout(marksTimer);
    marksTimer = undefined;
    if (pendingMarks.size === 0) return;
    const marks = [...pendingMarks.values()];
    pendingMarks.clear();
    try {
      await deps.repo.insert(newBatch(), marks);
    } catch (error) {
      log.error("storing read positions failed", { rows: marks.length, error: String(error) });
    }
  }
  function deferMarks(marks: readonly SentMark[]): void {
    for (const mark of marks) {
      const key = JSON.stringify([mark.userId, mark.roomId, mark.threadId]);
      const known = pendingMarks.get(key);
      if (!known || known.streamOrdering < mark.streamOrdering) pendingMarks.set(key, mark);
    }
    marksTimer ??= setTimeout(() => void flushMarks(), MARKS_FLUSH_MS);
    marksTimer.unref?.();
  }

  async function drain(): Promise<void> {
    while (queue.length > 0) {
      const batch = newBatch();
      const sent: SentMark[] = [];
      const touched = new Set<string>();
      let taken = 0;
      while (queue.length > 0 && batch.userIds.length < MAX_BATCH_ROWS) {
        const event = queue.shift()!;
        taken++;
        try {
          for (const userId of await evaluate(event, batch, sent)) touched.add(userId);
        } catch (error) {
          log.error("push evaluation failed", { event_id: event.eventId, room_id: event.roomId, error: String(error) });
        }
      }
      try {
        if (batch.userIds.length === 0) deferMarks(newestMarks(sent));
        else {
          deferMarks(newestMarks(sent));
          const marks = [...pendingMarks.values()];
          pendingMarks.clear();
          await deps.repo.insert(batch, marks);
          // Before onNotified's listeners: pushes queue ahead of the badge updates a count change queues.
          for (const listener of storedListeners) listener(batch);
        }
      } catch (error) {
        log.error("storing push actions failed", { rows: batch.userIds.length, error: String(error) });
      }
      processed += taken;
      for (let i = waiters.length - 1; i >= 0; i--) {
        if (waiters[i]!.target <= processed) waiters.splice(i, 1)[0]!.resolve();
      }
      if (touched.size > 0) for (const listener of listeners) listener(touched);
    }
  }

  function schedule(): void {
    if (draining) return;
    draining = true;
    // After the current send has answered: the evaluation is not part of its latency.
    setImmediate(() =>
      drain()
        .catch((error) => log.error("push queue failed", { error: String(error) }))
        .finally(() => {
          draining = false;
          if (queue.length > 0) schedule();
        }),
    );
  }

  return {
    /** The bus subscriber: queues the event and returns at once. */
    enqueue(event: StoredEvent): void {
      queue.push(event);
      enqueued++;
      schedule();
    },

    /**
     * Resolves once every event queued before the call is stored, read positions included (or
     * after `maxWaitMs`): the counts a sync response carries include the events it carries.
     */
    settled(maxWaitMs: number): Promise<void> {
      const target = enqueued;
      const processedUpTo = (): Promise<void> => {
        if (processed >= target) return Promise.resolve();
        return new Promise((resolve) => {
          const waiter = { target, resolve };
          waiters.push(waiter);
          setTimeout(() => {
            const index = waiters.indexOf(waiter);
            if (index >= 0) waiters.splice(index, 1);
            resolve();
          }, maxWaitMs).unref?.();
        });
      };
      return processedUpTo().then(flushMarks);
    },

    /** Called after each stored batch with the users whose counts may have changed. */
    onNotified(listener: (userIds: ReadonlySet<string>) => void): void {
      listeners.push(listener);
    },

    /** Called with each stored batch of notifications (pushers deliver them); must not block. */
    onStored(listener: (batch: PushActionBatch) => void): void {
      storedListeners.push(listener);
    },

    /** Events queued and not yet stored. */
    backlog: () => enqueued - processed,
  };
}

export type PushEvaluator = ReturnType<typeof createPushEvaluator>;

// Presence: each local user's online/unavailable/offline state, status message and last activity,
// kept in memory for the users seen since start (and everyone not offline, loaded at start), with
// the latest of each user stored in the presence table. Only changes others should hear of are
// written, each with a new stream position; last-active bumps in between stay in memory and are
// flushed every minute. A timer applies the idle and offline timeouts (./presence-state.ts).
// https://spec.matrix.org/v1.19/client-server-api/#presence
import { isLocalUser, isUserId } from "../auth/user-id-checks.ts";
import type { Config } from "../config/verify.ts";
import type { Logger } from "../log/logger.ts";
import { forbidden, MatrixError, notFound } from "../protocol/matrix-error.ts";
import type { RoomBus } from "../rooms/bus.ts";
import type { Timers } from "../rooms/typing.ts";
import type { Db } from "../storage/db.ts";
import { createPresenceRepo, type PresenceRow } from "../storage/repos/presence.ts";
import { createPresenceFeed } from "./presence-feed.ts";
import type { PresenceEvent, PresenceSource, PresenceState } from "./presence-source.ts";
import {
  applyTimeouts, LAST_ACTIVE_FLUSH_INTERVAL_MS, MAX_STATUS_MSG_CHARS, offlinePresence, PRESENCE_STATES, presenceContent,
  presenceFromRow, presenceSettings, settle, TIMEOUT_CHECK_INTERVAL_MS, worthTelling, type UserPresence,
} from "./presence-state.ts";
import { createPresenceWriter } from "./presence-writer.ts";

export interface PresenceDeps {
  db: Db;
  config: Config["presence"];
  serverName: string;
  log: Logger;
  /** Whether a local account exists (GET for an unknown local user is 404). */
  userExists: (userId: string) => Promise<boolean>;
  /** Sent events (with a transaction: a client sent them) count as activity of their sender. */
  bus?: Pick<RoomBus, "subscribe">;
  now?: () => number;
  timers?: Timers;
}

const realTimers: Timers = {
  set: (callback, ms) => {
    const handle = setTimeout(callback, ms);
    (handle as { unref?: () => void }).unref?.(); // the timeout check must not keep the process alive
    return handle;
  },
  clear: (handle) => clearTimeout(handle as ReturnType<typeof setTimeout>),
};

/** Memory entry: the presence plus whether the idle timer (not a client) made it unavailable. */
type Entry = UserPresence & { idle: boolean };

const fromRow = (row: PresenceRow, lastSyncTs: number): Entry => ({ ...presenceFromRow(row, lastSyncTs), idle: false });

export async function createPresenceServices(deps: PresenceDeps) {
  const settings = presenceSettings(deps.config);
  const now = deps.now ?? Date.now;
  const timers = deps.timers ?? realTimers;
  const repo = createPresenceRepo(deps.db);
  const users = new Map<string, Entry>();
  /** Users whose last-active time changed without a write. */
  const unsaved = new Set<string>();
  const listeners: ((userId: string, position: number) => void)[] = [];
  const startPosition = settings.enabled ? await repo.maxPosition() : 0;
  const feed = createPresenceFeed({ repo, users, settings, now, startPosition });

  const writer = createPresenceWriter({
    repo, log: deps.log,
    snapshot: (userId) => {
      const p = users.get(userId)!;
      return { userId, state: p.state, statusMsg: p.statusMsg, lastActiveTs: p.lastActiveTs, currentlyActive: p.currentlyActive };
    },
    committed: (userId, committedAt) => {
      users.get(userId)!.position = committedAt;
      feed.record(userId, committedAt);
      for (const listener of listeners) listener(userId, committedAt);
    },
  });

  if (settings.enabled) {
    // Users not offline get a fresh grace period: their clients reconnect after a restart.
    const startedAt = now();
    for (const row of await repo.notOffline()) users.set(row.userId, fromRow(row, startedAt));
  }

  async function load(userId: string): Promise<Entry> {
    const row = await repo.get(userId);
    const entry = users.get(userId) ?? (row ? fromRow(row, 0) : { ...offlinePresence(), idle: false });
    users.set(userId, entry);
    return entry;
  }

  /** Applies a change to a user's presence; writes and tells others only when it is worth it. */
  async function update(userId: string, change: (p: Entry, time: number) => void): Promise<void> {
    // Known users change at once (no await), so a read right after sees the change.
    const p = users.get(userId) ?? (await load(userId));
    const before = { ...p };
    const time = now();
    change(p, time);
    settle(p, time, settings);
    if (worthTelling(before, p, settings)) {
      unsaved.delete(userId);
      writer.queue(userId);
      await writer.drain();
    } else if (p.lastActiveTs !== before.lastActiveTs) {
      unsaved.add(userId);
    }
  }

  const reportError = (error: unknown) => deps.log.error("presence update failed", { error: String(error) });

  /** A pro-active event of a local user (a sent event, say): bumps last active, ends idleness. */
  function markActive(userId: string): void {
    if (!settings.tracked || !isLocalUser(userId, deps.serverName)) return;
    const known = users.get(userId);
    // Already online and currently active: nobody needs telling, so no write (the common case).
    if (known?.state === "online" && known.currentlyActive) {
      known.lastActiveTs = now();
      unsaved.add(userId);
      return;
    }
    update(userId, (p, time) => {
      p.lastActiveTs = time;
      // As Synapse: activity wakes an unavailable user; an offline one stays offline until it polls.
      if (p.state === "unavailable") p.state = "online";
      p.idle = false;
    }).catch(reportError);
  }

  /** The idle and offline timeouts, pending writes retried, last-active times flushed when due. */
  let lastFlush = now();
  async function checkTimeouts(): Promise<void> {
    const time = now();
    for (const [userId, p] of users) {
      if (p.state === "offline") continue;
      const wasOnline = p.state === "online";
      if (!applyTimeouts(p, time, settings)) continue;
      if (wasOnline && p.state === "unavailable") p.idle = true;
      unsaved.delete(userId);
      writer.queue(userId);
    }
    await writer.drain();
    if (time - lastFlush >= LAST_ACTIVE_FLUSH_INTERVAL_MS) await flushLastActive();
  }

  async function flushLastActive(): Promise<void> {
    lastFlush = now();
    const rows = [...unsaved].map((userId) => ({ userId, lastActiveTs: users.get(userId)!.lastActiveTs }));
    unsaved.clear();
    await repo.saveLastActive(rows).catch(reportError);
  }

  let timer: unknown = null;
  const tick = () => {
    checkTimeouts()
      .catch(reportError)
      .finally(() => {
        if (timer !== null) timer = timers.set(tick, TIMEOUT_CHECK_INTERVAL_MS);
      });
  };
  if (settings.enabled) timer = timers.set(tick, TIMEOUT_CHECK_INTERVAL_MS);
  deps.bus?.subscribe(({ transaction }) => {
    if (transaction) markActive(transaction.userId);
  });

  const source: PresenceSource = {
    enabled: settings.enabled,
    position: feed.position,
    changes: feed.changes,

    async setFromSync(userId, presence) {
      // set_presence=offline: "not marked as being online" (the spec), so nothing changes.
      if (!settings.tracked || presence === "offline") return;
      const known = users.get(userId);
      const time = now();
      if (known && known.state === presence) {
        known.lastSyncTs = time;
        return;
      }
      await update(userId, (p) => {
        p.lastSyncTs = time;
        if (presence === "unavailable") {
          p.state = "unavailable";
          p.idle = false;
        } else if (p.state === "offline" || (p.state === "unavailable" && !p.idle)) {
          // Coming online is pro-active; polling alone is not, so it does not end idleness.
          p.state = "online";
          p.lastActiveTs = time;
        }
      });
    },

    onChange(listener) {
      listeners.push(listener);
    },
  };

  return {
    ...source,
    markActive,
    checkTimeouts,

    /** GET /presence/{userId}/status: oneself, or a user sharing a joined room (as Synapse). */
    async status(requesterId: string, userId: string): Promise<PresenceEvent["content"]> {
      // Presence off: everyone is offline (Synapse answers so without further checks).
      if (!settings.enabled) return { presence: "offline" };
      if (!isUserId(userId)) throw new MatrixError(400, "M_INVALID_PARAM", `${userId} is not a valid user id`);
      if (isLocalUser(userId, deps.serverName) && !(await deps.userExists(userId))) throw notFound(`Unknown user ${userId}`);
      if (requesterId !== userId && !(await repo.shareJoinedRoom(requesterId, userId))) {
        throw forbidden("You are not allowed to see their presence");
      }
      const p = users.get(userId) ?? (await repo.get(userId).then((row) => row && fromRow(row, 0))) ?? offlinePresence();
      return presenceContent(p, now());
    },

    /** PUT /presence/{userId}/status: only one's own; counts as activity (the spec). */
    async setStatus(requesterId: string, userId: string, presence: string, statusMsg: string | undefined): Promise<void> {
      if (requesterId !== userId) throw forbidden("Can only set your own presence state");
      if (!(PRESENCE_STATES as readonly string[]).includes(presence)) {
        throw new MatrixError(400, "M_INVALID_PARAM", `presence must be one of ${PRESENCE_STATES.join(", ")}`);
      }
      if (statusMsg !== undefined && [...statusMsg].length > MAX_STATUS_MSG_CHARS) {
        throw new MatrixError(400, "M_INVALID_PARAM", `status_msg is longer than ${MAX_STATUS_MSG_CHARS} characters`);
      }
      // Presence off or untracked: accepted and ignored, as Synapse does.
      if (!settings.tracked) return;
      await update(userId, (p, time) => {
        p.state = presence as PresenceState;
        // As Synapse: a PUT without status_msg clears it.
        p.statusMsg = statusMsg ?? null;
        p.lastActiveTs = time;
        p.idle = false;
      });
    },

    /** Stops the timeout timer and stores what is pending (shutdown). */
    async stop(): Promise<void> {
      if (timer !== null) timers.clear(timer);
      timer = null;
      await writer.drain();
      await flushLastActive();
    },
  };
}

export type PresenceServices = Awaited<ReturnType<typeof createPresenceServices>>;

// The presence state machine as pure functions over one user's presence and the time:
// online -> unavailable after the idle timeout, any state -> offline once the user's clients stop
// polling, currently_active while the last activity is recent, and which changes are worth
// telling others about (Synapse's handle_timeout and should_notify, per user rather than per device).
// https://spec.matrix.org/v1.19/client-server-api/#presence
import type { Config } from "../config/verify.ts";
import { parseDuration } from "../config/units.ts";
import type { PresenceRow } from "../storage/repos/presence.ts";
import type { PresenceEvent, PresenceState } from "./presence-source.ts";

export const PRESENCE_STATES: readonly PresenceState[] = ["online", "unavailable", "offline"];

/** Limit: longest status_msg in characters (the spec sets none; Synapse neither). Keeps presence EDUs small. */
export const MAX_STATUS_MSG_CHARS = 1024;
/** How often the timeouts are checked (Synapse: every 5 s); timings need not be exact. */
export const TIMEOUT_CHECK_INTERVAL_MS = 5_000;
/** How often last-active times that nobody was told about are written (Synapse: every 60 s). */
export const LAST_ACTIVE_FLUSH_INTERVAL_MS = 60_000;
/**
 * Sync tells presence when a poll starts, not when it returns; a long-poll holds up to its
 * timeout, which sync caps at 60 s (MAX_SYNC_TIMEOUT_MS in ./sync.ts). So a poll start counts as
 * connected for that long before sync_online_timeout starts (Synapse counts from the poll's end).
 */
export const SYNC_POLL_ALLOWANCE_MS = 60_000;

export interface PresenceSettings {
  /** presence.enabled is not false. */
  enabled: boolean;
  /** presence.enabled is true (not "untracked"): clients' updates count. */
  tracked: boolean;
  includeOfflineUsersOnSync: boolean;
  lastActiveGranularityMs: number;
  syncOnlineTimeoutMs: number;
  idleTimeoutMs: number;
}

/** The config section in milliseconds; refuses an idle timeout within the granularity (as Synapse). */
export function presenceSettings(config: Config["presence"]): PresenceSettings {
  const settings = {
    enabled: config.enabled !== false,
    tracked: config.enabled === true,
    includeOfflineUsersOnSync: config.include_offline_users_on_sync,
    lastActiveGranularityMs: parseDuration(config.last_active_granularity)!,
    syncOnlineTimeoutMs: parseDuration(config.sync_online_timeout)!,
    idleTimeoutMs: parseDuration(config.idle_timeout)!,
  };
  if (settings.idleTimeoutMs <= settings.lastActiveGranularityMs) {
    throw new Error("presence.idle_timeout: must be greater than presence.last_active_granularity");
  }
  return settings;
}

/** One user's presence as this server keeps it in memory. */
export interface UserPresence {
  state: PresenceState;
  statusMsg: string | null;
  /** Last pro-active event (ms since the epoch); 0 when never seen active. */
  lastActiveTs: number;
  currentlyActive: boolean;
  /** Last /sync poll start (memory only: a restart grants a fresh grace period). */
  lastSyncTs: number;
  /** Stream position of the last change others were told about (0: none yet). */
  position: number;
}

/** A stored row in memory; `lastSyncTs` is not stored, so the caller says when to count polls from. */
export const presenceFromRow = (row: PresenceRow, lastSyncTs: number): UserPresence => ({
  state: row.state as PresenceState, statusMsg: row.statusMsg, lastActiveTs: row.lastActiveTs,
  currentlyActive: row.currentlyActive, lastSyncTs, position: row.streamPosition,
});

export const offlinePresence = (): UserPresence => ({ state: "offline", statusMsg: null, lastActiveTs: 0, currentlyActive: false, lastSyncTs: 0, position: 0 });

/** currently_active as the spec means it: online and active within the granularity. */
export function settle(p: UserPresence, now: number, settings: PresenceSettings): void {
  p.currentlyActive = p.state === "online" && now - p.lastActiveTs < settings.lastActiveGranularityMs;
}

/** Applies the timeouts at `now` to `p` in place; true when something changed. */
export function applyTimeouts(p: UserPresence, now: number, settings: PresenceSettings): boolean {
  if (p.state === "offline") return false;
  const before = { state: p.state, currentlyActive: p.currentlyActive };
  // 1. Idle: online with no activity for idle_timeout turns unavailable.
  if (p.state === "online" && now - p.lastActiveTs > settings.idleTimeoutMs) p.state = "unavailable";
  // 2. Gone: no poll (plus its allowance) and no activity for sync_online_timeout turns offline.
  const connectedUntil = Math.max(p.lastSyncTs + SYNC_POLL_ALLOWANCE_MS, p.lastActiveTs);
  if (now - connectedUntil > settings.syncOnlineTimeoutMs) p.state = "offline";
  // 3. currently_active ends once the last activity is older than the granularity.
  settle(p, now, settings);
  return p.state !== before.state || p.currentlyActive !== before.currentlyActive;
}

/** Whether others should hear of the change from `before` to `after` (Synapse's should_notify). */
export function worthTelling(before: UserPresence, after: UserPresence, settings: PresenceSettings): boolean {
  if (before.statusMsg !== after.statusMsg || before.state !== after.state) return true;
  const bumped = after.lastActiveTs - before.lastActiveTs > settings.lastActiveGranularityMs;
  if (before.state === "online") {
    if (before.currentlyActive !== after.currentlyActive) return true;
    // While currently_active, clients assume activity: last-active bumps need not be sent.
    return bumped && !after.currentlyActive;
  }
  return bumped;
}

/** The m.presence content (also the body of GET /presence/{userId}/status). */
export function presenceContent(p: UserPresence, now: number): PresenceEvent["content"] {
  const content: PresenceEvent["content"] = { presence: p.state };
  if (p.lastActiveTs > 0) content.last_active_ago = Math.max(0, now - p.lastActiveTs);
  if (p.state === "online") content.currently_active = p.currentlyActive;
  if (p.statusMsg !== null) content.status_msg = p.statusMsg;
  return content;
}

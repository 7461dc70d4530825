// The presence stream as /sync reads it: the position, a log of the changes since start (so an
// incremental sync walks only what changed after its token), and the table for older tokens.
import type { PresenceRepo } from "../storage/repos/presence.ts";
import type { PresenceEvent, PresenceSource } from "./presence-source.ts";
import { presenceContent, presenceFromRow, type PresenceSettings, type UserPresence } from "./presence-state.ts";

/** Limit: changes remembered in order for incremental syncs; older `since` tokens read per user. */
export const CHANGE_LOG_MAX = 50_000;

export interface PresenceFeedDeps {
  repo: Pick<PresenceRepo, "changed">;
  /** Every user changed since start (and more): the in-memory presence, newer than the table. */
  users: ReadonlyMap<string, UserPresence>;
  settings: PresenceSettings;
  now: () => number;
  /** The highest position in the table at start. */
  startPosition: number;
}

export function createPresenceFeed(deps: PresenceFeedDeps) {
  const { users, settings } = deps;
  /** (position, user) of the changes since start, in position order; covers (logFrom, position]. */
  const changeLog: { position: number; userId: string }[] = [];
  let logFrom = deps.startPosition;
  let position = deps.startPosition;

  /** Index of the first log entry after `since` (the log is in position order). */
  function firstAfter(since: number): number {
    let low = 0;
    let high = changeLog.length;
    while (low < high) {
      const mid = (low + high) >>> 1;
      if (changeLog[mid]!.position <= since) low = mid + 1;
      else high = mid;
    }
    return low;
  }

  const event = (userId: string, p: UserPresence, time: number): PresenceEvent => ({ type: "m.presence", sender: userId, content: presenceContent(p, time) });

  return {
    position: () => position,

    /** A change stored at `at` (called in position order). */
    record(userId: string, at: number): void {
      position = Math.max(position, at);
      changeLog.push({ position: at, userId });
      if (changeLog.length > CHANGE_LOG_MAX) logFrom = changeLog.splice(0, changeLog.length - CHANGE_LOG_MAX).at(-1)!.position;
    },

    changes: (async (userIds, since, upTo) => {
      if (!settings.enabled || since >= upTo) return [];
      const time = deps.now();
      // An initial sync leaves offline users out (Synapse's include_offline_users_on_sync).
      const includeOffline = since > 0 || settings.includeOfflineUsersOnSync;
      const shown = (p: UserPresence) => p.position > since && p.position <= upTo && (includeOffline || p.state !== "offline");
      const events: PresenceEvent[] = [];
      if (since >= logFrom) {
        // A recent token: only users in the log can have changed; walk it from `since`.
        const wanted = userIds instanceof Set ? (userIds as Set<string>) : new Set(userIds);
        const seen = new Set<string>();
        for (let i = firstAfter(since); i < changeLog.length && changeLog[i]!.position <= upTo; i++) {
          const { userId } = changeLog[i]!;
          if (seen.has(userId) || !wanted.has(userId)) continue;
          seen.add(userId);
          const p = users.get(userId)!;
          if (shown(p)) events.push(event(userId, p, time));
        }
        return events;
      }
      const unknown: string[] = [];
      for (const userId of userIds) {
        const p = users.get(userId);
        if (!p) unknown.push(userId);
        else if (shown(p)) events.push(event(userId, p, time));
      }
      // Users not in memory have not changed since start: their row is their latest presence.
      for (const row of await deps.repo.changed(unknown, since, Math.min(upTo, deps.startPosition), includeOffline)) {
        const p = users.get(row.userId) ?? presenceFromRow(row, 0);
        if (shown(p)) events.push(event(row.userId, p, time));
      }
      return events;
    }) satisfies PresenceSource["changes"],
  };
}

// GET /sync: which rooms go in which section and with what, from the user's memberships at the
// sync's events position; the long-poll loop around it.
// https://spec.matrix.org/v1.19/client-server-api/#syncing
// https://spec.matrix.org/v1.19/client-server-api/#get_matrixclientv3sync
import type { Filter, Filters } from "../auth/filters.ts";
import type { ClientEventFormatter } from "../rooms/client-events.ts";
import type { StreamTracker } from "../rooms/stream-tracker.ts";
import type { Typing } from "../rooms/typing.ts";
import type { AccountDataRepo } from "../storage/repos/account-data.ts";
import { STREAM_START, type MembershipRow, type SyncRepo } from "../storage/repos/sync.ts";
import type { UserMemberships } from "./user-memberships.ts";
import type { RoomRecency } from "./room-recency.ts";
import { resolveSyncFilter, roomIncluded, timelineFilter } from "./filter.ts";
import { longPoll, type Notifier } from "./notifier.ts";
import { sharedPositions } from "./positions.ts";
import type { PresenceSource, PresenceState } from "./presence-source.ts";
import type { RoomRange, RoomTimelines } from "./room-timelines.ts";
import { assembleResponse, type SyncResponse } from "./response.ts";
import type { RoomExtras } from "./room-extras.ts";
import type { PushRulesSource, UnreadCountsSource } from "./sources.ts";
import type { ToDevice } from "./to-device.ts";
import type { DeviceLists } from "./device-lists.ts";
import { createTypingClock, encodeSyncToken, parseSyncToken, sinceFor, type SyncPositions } from "./token.ts";

/** Limit: the longest a /sync request waits (its `timeout`, capped): well under Bun's idleTimeout of 120 s in main.ts. */
export const MAX_SYNC_TIMEOUT_MS = 60_000;

export interface SyncQuery {
  since?: string;
  filter?: string;
  full_state?: boolean;
  set_presence?: PresenceState;
  timeout?: number;
  /** Answer with `state_after` (state up to the timeline's end) instead of `state` (v1.16, MSC4222). */
  use_state_after?: boolean;
}

export interface SyncUser {
  userId: string;
  deviceId: string | null;
}

export interface SyncDeps {
  repo: SyncRepo;
  /** Memberships kept in memory (./user-memberships.ts). */
  memberships: Pick<UserMemberships, "at">;
  /** Rooms' newest event positions kept in memory (./room-recency.ts). */
  recency: Pick<RoomRecency, "of">;
  accountData: Pick<AccountDataRepo, "changes" | "get">;
  filters: Pick<Filters, "get">;
  stream: Pick<StreamTracker, "persistedUpTo">;
  timelines: RoomTimelines;
  formatter: ClientEventFormatter;
  extras: RoomExtras;
  notifier: Notifier;
  typing: Pick<Typing, "position">;
  typingClock: ReturnType<typeof createTypingClock>;
  /** Positions of the account data and receipts streams when the server started. */
  startPositions: { accountData: number; receipts: number };
  presence?: PresenceSource;
  unreadCounts?: UnreadCountsSource;
  pushRules?: PushRulesSource;
  /** Send-to-device inboxes (./to-device.ts); without it to_device stays empty. */
  toDevice?: Pick<ToDevice, "position" | "forSync">;
  /** Device list changes and the device's key counts (./device-lists.ts); without it those stay empty. */
  deviceLists?: Pick<DeviceLists, "position" | "changes" | "keyCounts">;
}

/** What one compute decided, for the response and for the waiter's room list. */
export interface SyncPlan {
  user: SyncUser;
  filter: Filter;
  initial: boolean;
  since: SyncPositions | null;
  upTo: SyncPositions;
  joined: string[];
  joinRanges: RoomRange[];
  leaveRanges: RoomRange[];
  invites: MembershipRow[];
  knocks: MembershipRow[];
  ignoredUsers: Set<string>;
  accountData: Awaited<ReturnType<AccountDataRepo["changes"]>>;
}

export function createSync(deps: SyncDeps) {
  const { repo } = deps;

  function currentPositions(): SyncPositions {
    const shared = sharedPositions({ ...deps, toDevice: deps.toDevice?.position, deviceLists: deps.deviceLists?.position });
    return {
      ...shared,
      typing: deps.typingClock.token(deps.typing.position()),
      presence: deps.presence?.enabled ? deps.presence.position() : 0,
    };
  }

  /** The client's positions, each clamped: a stream position from the future restarts that stream. */
  function clampSince(since: SyncPositions, upTo: SyncPositions): SyncPositions {
    return {
      events: sinceFor(since.events, upTo.events),
      accountData: sinceFor(since.accountData, upTo.accountData),
      receipts: sinceFor(since.receipts, upTo.receipts),
      typing: deps.typingClock.since(since.typing, deps.typing.position()),
      presence: sinceFor(since.presence, upTo.presence),
      pushRules: sinceFor(since.pushRules, upTo.pushRules),
      toDevice: sinceFor(since.toDevice, upTo.toDevice),
      deviceLists: sinceFor(since.deviceLists, upTo.deviceLists),
    };
  }

  /**
   * Joined rooms with a timeline event after `after`, from memory: a room's newest position may
   * also be past the sync's position (its timeline is then empty and the room left out).
   */
  async function roomsWithEventsAfter(joined: readonly string[], after: number): Promise<Set<string>> {
    const activityOf = await deps.recency.of(joined);
    return new Set(joined.filter((roomId) => (activityOf(roomId)?.latest ?? Infinity) > after));
  }

  async function plan(user: SyncUser, filter: Filter, rawSince: SyncPositions | null, fullState: boolean): Promise<SyncPlan> {
    const upTo = currentPositions();
    const since = rawSince && clampSince(rawSince, upTo);
    const { userId } = user;
    const [memberships, forgotten, ignored, accountData] = await Promise.all([
      deps.memberships.at(userId, upTo.events).then((m) => [...m.byRoom.values()]),
      repo.forgottenRooms(userId),
      deps.accountData.get(userId, "", "m.ignored_user_list"),
      deps.accountData.changes(userId, since?.accountData ?? 0, upTo.accountData),
    ]);
    const ignoredUsers = new Set(Object.keys((ignored?.ignored_users as Record<string, unknown> | undefined) ?? {}));
    const included = memberships.filter((m) => roomIncluded(filter, m.roomId));
    const joined = included.filter((m) => m.membership === "join").map((m) => m.roomId);
    const changed = since ? included.filter((m) => m.streamOrdering > since.events) : [];
    const [before, withEvents] = await Promise.all([
      since ? repo.membershipsAt(userId, since.events, changed.map((m) => m.roomId)) : [],
      since ? roomsWithEventsAfter(joined, since.events) : new Set<string>(),
    ]);
    const membershipBefore = new Map(before.map((m) => [m.roomId, m.membership]));
    const p: SyncPlan = { user, filter, initial: !since, since, upTo, joined, joinRanges: [], leaveRanges: [], invites: [], knocks: [], ignoredUsers, accountData };
    for (const m of included) {
      const isNew = !since || m.streamOrdering > since.events;
      const wasJoined = membershipBefore.get(m.roomId) === "join";
      const range = { roomId: m.roomId, upTo: upTo.events };
      switch (m.membership) {
        case "join":
          if (!since || (isNew && !wasJoined)) {
            // Initial sync or newly joined: the room as an initial sync shows it.
            p.joinRanges.push({ ...range, after: STREAM_START, fullState: true, joinedFrom: m.streamOrdering, extraMembers: [userId] });
          } else if (fullState || withEvents.has(m.roomId)) {
            p.joinRanges.push({ ...range, after: since.events, fullState, joinedFrom: m.streamOrdering, extraMembers: fullState ? [userId] : [] });
          }
          break;
        case "invite":
          if (isNew && !ignoredUsers.has(m.sender)) p.invites.push(m);
          break;
        case "knock":
          if (isNew) p.knocks.push(m);
          break;
        case "leave":
        case "ban": {
          if (forgotten.has(m.roomId)) break;
          const leave = { roomId: m.roomId, upTo: m.streamOrdering, joinedFrom: null };
          if (!since) {
            if (filter.room?.include_leave) p.leaveRanges.push({ ...leave, after: STREAM_START, fullState: true });
          } else if (!isNew && fullState) {
            // full_state brings back rooms left before `since` too (with include_leave, as Synapse), their timeline still after `since`.
            if (filter.room?.include_leave) p.leaveRanges.push({ ...leave, after: since.events, fullState: true });
          } else if (isNew) {
            // Left since the last sync: what happened up to the leave; a rejected invite or retracted knock: just the leave.
            p.leaveRanges.push({ ...leave, after: wasJoined ? since.events : m.streamOrdering - 1, fullState });
          }
          break;
        }
      }
    }
    return p;
  }

  async function compute(user: SyncUser, filter: Filter, since: SyncPositions | null, fullState: boolean, stateAfter: boolean): Promise<{ response: SyncResponse; empty: boolean; joined: string[] }> {
    const p = await plan(user, filter, since, fullState);
    const { response, empty } = await assembleResponse(deps, p, timelineFilter(filter), stateAfter);
    return { response: { next_batch: encodeSyncToken(p.upTo), ...response }, empty, joined: p.joined };
  }

  return {
    /** GET /sync for `user`: computes at once, and when there is nothing new waits up to `timeout` for a change. */
    async sync(user: SyncUser, query: SyncQuery, signal?: AbortSignal): Promise<SyncResponse> {
      const since = query.since === undefined ? null : parseSyncToken(query.since);
      const filter = await resolveSyncFilter(deps.filters, user.userId, query.filter);
      if (deps.presence?.enabled) await deps.presence.setFromSync(user.userId, query.set_presence ?? "online");
      const fullState = query.full_state === true;
      const timeoutMs = Math.min(Math.max(query.timeout ?? 0, 0), MAX_SYNC_TIMEOUT_MS);
      return longPoll(deps.notifier, user.userId, { timeoutMs, mayWait: since !== null && !fullState, signal }, async () => {
        const result = await compute(user, filter, since, fullState, query.use_state_after === true);
        return { ...result, answer: () => result.response };
      });
    },
  };
}

export type Sync = ReturnType<typeof createSync>;

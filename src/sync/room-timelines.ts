// The timeline and state of the rooms one sync returns, batched across rooms: one query for every
// room's newest events, one for the state events after each room's position, one for the current
// state; the state at the start of each timeline is the current state rewound through the state
// events from there on (each state event names the one it replaced).
// https://spec.matrix.org/v1.19/client-server-api/#syncing
// https://spec.matrix.org/v1.19/client-server-api/#lazy-loading-room-members
import { stateKey } from "../engine/index.ts";
import type { Viewer } from "../rooms/client-events.ts";
import { matchesRoomEventFilter, type RoomEventFilter } from "../rooms/event-filter.ts";
import type { HistoryAccess } from "../rooms/history-access.ts";
import type { LazyMembers } from "../rooms/lazy-members.ts";
import { toStoredEvent, type EventCache, type StoredEvent } from "../rooms/stored-event.ts";
import type { RoomHeads } from "../rooms/room-heads.ts";
import type { StateStore } from "../rooms/state-store.ts";
import type { SyncRepo } from "../storage/repos/sync.ts";

export interface RoomRange {
  roomId: string;
  /** Exclusive lower bound of the timeline: `since` for an incremental sync, else STREAM_START. */
  after: number;
  /** Inclusive upper bound: the sync's events position, or the user's leave. */
  upTo: number;
  /** Whole state at the timeline's start (initial sync, full_state, newly joined) rather than the delta since `after`. */
  fullState: boolean;
  /** Stream position from which the user was joined without a break up to `upTo` (events there need no visibility check). */
  joinedFrom: number | null;
  /** Member events to include with lazy loading besides the timeline senders (own member event, heroes). */
  extraMembers?: string[];
}

export interface RoomTimeline {
  events: StoredEvent[];
  limited: boolean;
  /** The events position just before the first event returned (the /messages `from` for older events). */
  prevBatch: number;
  state: StoredEvent[];
}

export interface TimelineOptions {
  limit: number;
  timeline: RoomEventFilter;
  state: RoomEventFilter;
  viewer: Viewer;
  ignoredUsers: ReadonlySet<string>;
  /** Lazy-loading without redundancy memory (initial sync: the client knows nothing yet). */
  resetLazyMembers: boolean;
  /**
   * `use_state_after` (MSC4222): the state at the timeline's end (whole, or the keys changed in
   * (after, upTo]) instead of at its start, whatever the timeline filter dropped.
   */
  stateAfter?: boolean;
}

const filterable = (e: StoredEvent) => ({ type: e.type, sender: e.sender, roomId: e.roomId, content: e.redactedBy ? undefined : (e.pdu.content as Record<string, unknown>) });

export function createRoomTimelines(deps: {
  repo: SyncRepo;
  cache: EventCache;
  stateStore: Pick<StateStore, "state">;
  heads: Pick<RoomHeads, "get">;
  access: Pick<HistoryAccess, "visible">;
  lazyMembers: LazyMembers;
}) {
  const { repo, cache } = deps;

  /** The state at an event (after it, for a state event: close enough to name the senders' member events), else the room's current state. */
  async function stateAt(event: StoredEvent | undefined, range: RoomRange): Promise<ReadonlyMap<string, string>> {
    if (event?.stateSnapshot != null) return deps.stateStore.state(event.stateSnapshot);
    return (await deps.heads.get(range.roomId))?.state ?? new Map();
  }

  /** Newest-first rows per room, the filters applied, history visibility checked where the user was not joined. */
  async function timelines(ranges: readonly RoomRange[], o: TimelineOptions): Promise<Map<string, { events: StoredEvent[]; limited: boolean }>> {
    const rows = await repo.timelines(ranges, o.limit + 1, { types: o.timeline.types, notTypes: o.timeline.not_types, senders: o.timeline.senders, notSenders: o.timeline.not_senders });
    const byRoom = Map.groupBy(rows, (row) => row.roomId);
    const result = new Map<string, { events: StoredEvent[]; limited: boolean }>();
    const toCheck: StoredEvent[] = [];
    for (const range of ranges) {
      const roomRows = byRoom.get(range.roomId) ?? [];
      const limited = roomRows.length > o.limit;
      const events = roomRows
        .slice(0, o.limit)
        .reverse()
        .map(toStoredEvent)
        .filter((e) => matchesRoomEventFilter(o.timeline, filterable(e)) && !(e.stateKey === null && o.ignoredUsers.has(e.sender)));
      // The user's own member events are always theirs to see (a rejected invite's leave, say).
      const own = (e: StoredEvent) => e.type === "m.room.member" && e.stateKey === o.viewer.userId;
      for (const e of events) if ((range.joinedFrom === null || e.streamOrdering < range.joinedFrom) && !own(e)) toCheck.push(e);
      result.set(range.roomId, { events, limited });
    }
    if (toCheck.length > 0) {
      const hidden = new Set(toCheck.map((e) => e.eventId));
      for (const e of await deps.access.visible(o.viewer.userId, toCheck)) hidden.delete(e.eventId);
      if (hidden.size > 0) for (const entry of result.values()) entry.events = entry.events.filter((e) => !hidden.has(e.eventId));
    }
    return result;
  }

  return {
    async load(ranges: readonly RoomRange[], o: TimelineOptions): Promise<Map<string, RoomTimeline>> {
      const found = await timelines(ranges, o);
      // The position the state is wanted at: before it (the timeline's start), or up to the range's end with stateAfter.
      const starts = new Map(ranges.map((r) => [r.roomId, o.stateAfter ? r.upTo + 1 : (found.get(r.roomId)!.events[0]?.streamOrdering ?? r.upTo + 1)]));
      // Rooms sent whole: their current state, read before the state events after the start, so a
      // state event committed in between is rewound too.
      const fullRooms = ranges.filter((r) => r.fullState);
      const current = Map.groupBy(await repo.currentState(fullRooms.map((r) => r.roomId)), (row) => row.roomId);
      // State events after the start (to rewind) or after `after` (the delta: keys changed in (after, start)).
      const changes = await repo.stateChangesAfter(ranges.map((r) => ({ roomId: r.roomId, after: r.fullState ? starts.get(r.roomId)! - 1 : r.after })));
      const changesByRoom = Map.groupBy(changes, (c) => c.roomId);

      const wanted = new Map<string, string[]>();
      const statesAtStart = new Map<string, ReadonlyMap<string, string>>();
      for (const range of ranges) {
        const start = starts.get(range.roomId)!;
        const roomChanges = changesByRoom.get(range.roomId) ?? [];
        if (range.fullState) {
          const state = new Map((current.get(range.roomId) ?? []).map((row) => [stateKey(row.type, row.stateKey), row.eventId]));
          for (const c of [...roomChanges].reverse()) {
            if (c.replacesState) state.set(stateKey(c.type, c.stateKey), c.replacesState);
            else state.delete(stateKey(c.type, c.stateKey));
          }
          statesAtStart.set(range.roomId, state);
          wanted.set(range.roomId, [...state.values()]);
        } else {
          // Oldest first: the last change of a key before the start is its value there.
          const delta = new Map<string, string>();
          for (const c of roomChanges) if (c.streamOrdering < start) delta.set(stateKey(c.type, c.stateKey), c.eventId);
          wanted.set(range.roomId, [...delta.values()]);
        }
      }

      const lazy = o.state.lazy_load_members === true;
      const stateEvents = new Map((await cache.get([...wanted.values()].flat())).map((e) => [e.eventId, e]));
      const result = new Map<string, RoomTimeline>();
      await Promise.all(ranges.map(async (range) => {
        const { events, limited } = found.get(range.roomId)!;
        let state = (wanted.get(range.roomId) ?? []).map((id) => stateEvents.get(id)).filter((e): e is StoredEvent => e !== undefined);
        // Lazy loading: members of a delta stay (changes in a gap are never redundant); the members
        // the timeline's senders need come from the state at its start.
        if (lazy && range.fullState) state = state.filter((e) => e.type !== "m.room.member");
        state = state.filter((e) => matchesRoomEventFilter(o.state, filterable(e)));
        const senders = [...events.map((e) => e.sender), ...(range.extraMembers ?? [])];
        if (lazy && senders.length > 0) {
          const atStart = statesAtStart.get(range.roomId) ?? (await stateAt(o.stateAfter ? events.at(-1) : events[0], range));
          const members = await deps.lazyMembers.of(range.roomId, atStart, senders, o.viewer, o.resetLazyMembers || o.state.include_redundant_members === true);
          const have = new Set(state.map((e) => e.eventId));
          state.push(...members.filter((e) => !have.has(e.eventId) && matchesRoomEventFilter(o.state, filterable(e))));
        }
        const first = events[0];
        result.set(range.roomId, { events, limited, prevBatch: first ? first.streamOrdering - 1 : range.upTo, state });
      }));
      return result;
    },
  };
}

export type RoomTimelines = ReturnType<typeof createRoomTimelines>;

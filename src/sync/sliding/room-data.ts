// The `rooms` entries of a sliding sync response (MSC4186 "RoomResult"): for each room the
// request selects, what the connection has not been sent yet. Rooms joined (or left after
// joining) get timeline, required_state and their fields; invites and knocks their stripped state.
import { stateKey } from "../../engine/index.ts";
import type { ClientEventFormatter, Viewer } from "../../rooms/client-events.ts";
import type { HistoryAccess } from "../../rooms/history-access.ts";
import { positionToken } from "../../rooms/pagination-token.ts";
import type { RoomHeads } from "../../rooms/room-heads.ts";
import type { StateStore } from "../../rooms/state-store.ts";
import { toStoredEvent, type EventCache, type StoredEvent } from "../../rooms/stored-event.ts";
import { STREAM_START, type SyncRepo } from "../../storage/repos/sync.ts";
import type { RoomExtras } from "../room-extras.ts";
import type { UnreadCountsSource } from "../sources.ts";
import type { SentRoom } from "./connections.ts";
import type { ListedRoom } from "./room-list.ts";
import type { RequiredState } from "./request.ts";
import { selectRequiredState } from "./room-state.ts";
import { roomFields } from "./room-fields.ts";

/** A room the request selects, with its combined config. */
export interface SelectedRoom {
  room: ListedRoom;
  lists: string[];
  timelineLimit: number;
  requiredState: RequiredState[];
  lazyMembers: boolean;
  isDm: boolean;
  /** Never joined (invite, knock, or one rejected): only stripped state may be shown. */
  strippedOnly: boolean;
}

export interface RoomDataDeps {
  syncRepo: Pick<SyncRepo, "timelines" | "summaries" | "heroes">;
  cache: EventCache;
  stateStore: Pick<StateStore, "state">;
  heads: Pick<RoomHeads, "get">;
  access: Pick<HistoryAccess, "visible">;
  formatter: ClientEventFormatter;
  extras: Pick<RoomExtras, "strippedState">;
  unreadCounts?: UnreadCountsSource;
}

const INVITED = new Set(["invite", "knock"]);

export function createRoomData(deps: RoomDataDeps) {
  /** Each room's newest `limit` events in (after, upTo], oldest first, those the user may not see left out. */
  async function timelines(ranges: { roomId: string; after: number; upTo: number; limit: number; joinedFrom: number | null }[], viewer: Viewer) {
    const max = Math.max(0, ...ranges.map((r) => r.limit));
    const rows = Map.groupBy(await deps.syncRepo.timelines(ranges, max + 1, {}), (r) => r.roomId);
    const result = new Map<string, { events: StoredEvent[]; limited: boolean }>();
    const toCheck: StoredEvent[] = [];
    for (const range of ranges) {
      const roomRows = rows.get(range.roomId) ?? [];
      const events = roomRows.slice(0, range.limit).reverse().map(toStoredEvent);
      for (const e of events) {
        const own = e.type === "m.room.member" && e.stateKey === viewer.userId;
        if ((range.joinedFrom === null || e.streamOrdering < range.joinedFrom) && !own) toCheck.push(e);
      }
      result.set(range.roomId, { events, limited: roomRows.length > range.limit });
    }
    if (toCheck.length > 0) {
      const hidden = new Set(toCheck.map((e) => e.eventId));
      for (const e of await deps.access.visible(viewer.userId, toCheck)) hidden.delete(e.eventId);
      if (hidden.size > 0) for (const entry of result.values()) entry.events = entry.events.filter((e) => !hidden.has(e.eventId));
    }
    return result;
  }

  /** The room's state at the response: current state, or for a room the user left the state at their leave. */
  async function stateOf(s: SelectedRoom): Promise<ReadonlyMap<string, string>> {
    const { row } = s.room;
    if (row.membership === "join") return (await deps.heads.get(row.roomId))?.state ?? new Map();
    const leave = await deps.cache.one(row.eventId);
    const state = new Map(leave?.stateSnapshot != null ? await deps.stateStore.state(leave.stateSnapshot) : []);
    state.set(stateKey("m.room.member", leave?.stateKey ?? ""), row.eventId);
    return state;
  }

  return {
    /**
     * The entries to send and what each room is sent as afterwards. `previous` is the connection's
     * memory, `livePosition` the events position of the connection's previous response (null: none).
     */
    async build(selected: readonly SelectedRoom[], previous: ReadonlyMap<string, SentRoom>, upTo: number, livePosition: number | null, viewer: Viewer) {
      const out: Record<string, Record<string, unknown>> = {};
      const sent = new Map<string, SentRoom>();
      const configKey = (s: SelectedRoom) => JSON.stringify([s.requiredState, s.lazyMembers]);
      const full: { s: SelectedRoom; prev: SentRoom | undefined; initial: boolean; expanded: boolean }[] = [];
      const counts = deps.unreadCounts ? await deps.unreadCounts.unreadCounts(viewer.userId, selected.filter((s) => s.room.row.membership === "join").map((s) => s.room.row.roomId)) : new Map();

      for (const s of selected) {
        const { row } = s.room;
        const prev = previous.get(row.roomId);
        if (INVITED.has(row.membership) || s.strippedOnly) {
          if (prev?.membershipEventId === row.eventId) continue;
          const stripped = await deps.extras.strippedState(row.eventId, viewer);
          // `invite_state` is the name Synapse and current clients read; the MSC renamed it `stripped_state`.
          out[row.roomId] = { initial: true, membership: row.membership, bump_stamp: s.room.bump, lists: s.lists, stripped_state: stripped, invite_state: stripped };
          sent.set(row.roomId, { membership: row.membership, membershipEventId: row.eventId, position: upTo, timelineLimit: 0, state: new Map(), fields: {}, config: "" });
          continue;
        }
        // A room first seen as an invite or knock is sent whole once joined.
        const initial = !prev || INVITED.has(prev.membership);
        const changed = !initial && (s.room.activity > prev!.position || prev!.membershipEventId !== row.eventId);
        const expanded = !initial && s.timelineLimit > prev!.timelineLimit;
        const reconfigured = !initial && configKey(s) !== prev!.config;
        if (initial || changed || expanded || reconfigured) full.push({ s, prev: initial ? undefined : prev, initial, expanded: expanded && s.timelineLimit > 0 });
        else {
          // Unchanged room: only its fields that moved without an event (counts, DM flag).
          const fields = roomFields.light(s, counts.get(row.roomId));
          const delta = roomFields.diff(fields, prev!.fields, false);
          if (Object.keys(delta).length > 0) {
            out[row.roomId] = { ...delta, lists: s.lists };
            sent.set(row.roomId, { ...prev!, fields: { ...prev!.fields, ...roomFields.encode(fields) } });
          }
        }
      }
      if (full.length === 0) return { rooms: out, sent };

      const ranges = full.map(({ s, prev, expanded }) => ({
        roomId: s.room.row.roomId,
        after: prev && !expanded ? prev.position : STREAM_START,
        upTo: s.room.row.membership === "join" ? upTo : s.room.row.streamOrdering,
        limit: s.timelineLimit,
        joinedFrom: s.room.row.membership === "join" ? s.room.row.streamOrdering : null,
      }));
      const roomIds = ranges.map((r) => r.roomId);
      const [found, summaries, states] = await Promise.all([
        timelines(ranges, viewer),
        deps.syncRepo.summaries(roomIds),
        Promise.all(full.map(({ s }) => stateOf(s))),
      ]);
      const summaryOf = new Map(summaries.map((r) => [r.roomId, r]));
      const fieldValues = await roomFields.load(deps, full.map(({ s }, i) => ({ s, state: states[i]!, summary: summaryOf.get(s.room.row.roomId), counts: counts.get(s.room.row.roomId) })), viewer.userId);

      await Promise.all(full.map(async ({ s, prev, initial, expanded }, i) => {
        const { row } = s.room;
        const range = ranges[i]!;
        const { events, limited } = found.get(row.roomId)!;
        const selection = selectRequiredState({ state: states[i]!, configs: s.requiredState, lazyMembers: s.lazyMembers, timeline: events, previous: prev?.state ?? null });
        const fields = fieldValues.get(row.roomId)!;
        const delta = roomFields.diff(fields, prev?.fields ?? {}, initial);
        const stateEvents = await deps.cache.get(selection.send);
        const [timeline, requiredState] = await Promise.all([deps.formatter.format(events, viewer, { aggregations: true }), deps.formatter.format(stateEvents, viewer)]);
        const entry: Record<string, unknown> = { ...delta, lists: s.lists, membership: row.membership };
        if (initial) entry.initial = true;
        if (expanded) entry.expanded_timeline = true;
        if (requiredState.length > 0 || selection.stubs.length > 0 || initial) entry.required_state = [...requiredState, ...selection.stubs];
        if (events.length > 0 || initial) {
          entry.timeline = timeline;
          entry.prev_batch = positionToken(events[0] ? events[0].streamOrdering - 1 : range.upTo);
          entry.num_live = livePosition === null ? 0 : events.filter((e) => e.streamOrdering > livePosition).length;
          if (limited) entry.limited = true;
        }
        const nothingNew = !initial && !expanded && events.length === 0 && requiredState.length === 0 && selection.stubs.length === 0 && Object.keys(delta).length === 0;
        if (!nothingNew) out[row.roomId] = entry;
        sent.set(row.roomId, {
          membership: row.membership,
          membershipEventId: row.eventId,
          position: range.upTo,
          timelineLimit: s.timelineLimit,
          state: selection.sent,
          fields: { ...(prev?.fields ?? {}), ...roomFields.encode(fields) },
          config: configKey(s),
        });
      }));
      return { rooms: out, sent };
    },
  };
}

export type RoomData = ReturnType<typeof createRoomData>;

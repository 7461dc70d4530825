// Reading room history: GET /messages, /context/{eventId}, /event/{eventId} and
// /timestamp_to_event, with history visibility applied to every event served.
// https://spec.matrix.org/v1.19/client-server-api/#get_matrixclientv3roomsroomidmessages
// https://spec.matrix.org/v1.19/client-server-api/#get_matrixclientv3roomsroomidcontexteventid
// https://spec.matrix.org/v1.19/client-server-api/#get_matrixclientv3roomsroomideventeventid
// https://spec.matrix.org/v1.19/client-server-api/#get_matrixclientv1roomsroomidtimestamp_to_event
import { MatrixError } from "../protocol/matrix-error.ts";
import type { HistoryRepo } from "../storage/repos/history.ts";
import type { ClientEvent, ClientEventFormatter, Viewer } from "./client-events.ts";
import { matchesRoomEventFilter, parseRoomEventFilter, roomAllowed, type RoomEventFilter } from "./event-filter.ts";
import type { HistoryAccess } from "./history-access.ts";
import type { LazyMembers } from "./lazy-members.ts";
import { parsePositionToken, positionToken } from "./pagination-token.ts";
import type { StateStore } from "./state-store.ts";
import { toStoredEvent, type EventCache, type StoredEvent } from "./stored-event.ts";
import type { StreamTracker } from "./stream-tracker.ts";

/** Limit: events per /messages or /context response when the client names none (the spec's default). */
const DEFAULT_LIMIT = 10;
/** Limit: the most events one /messages response carries (Synapse's MAX_LIMIT). */
const MAX_MESSAGES_LIMIT = 1000;
/** Limit: the most events_before + events_after one /context response carries. */
const MAX_CONTEXT_LIMIT = 100;
/**
 * Limit: queries one page may take to fill up when contains_url or history visibility drop
 * events; after that the page is returned short, with an `end` to continue from.
 */
const MAX_PAGE_QUERIES = 3;
/** Limit: events /timestamp_to_event looks at, nearest first, for one the user may see. */
const TIMESTAMP_CANDIDATES = 50;

export interface MessagesQuery {
  dir: "b" | "f";
  from?: string;
  to?: string;
  limit?: number;
  filter?: string;
}

export interface MessagesPage {
  start: string;
  end?: string;
  chunk: ClientEvent[];
  state?: ClientEvent[];
}

export interface EventContext {
  start: string;
  end: string;
  events_before: ClientEvent[];
  event: ClientEvent;
  events_after: ClientEvent[];
  state: ClientEvent[];
}

export interface RoomHistory {
  messages(roomId: string, viewer: Viewer, query: MessagesQuery): Promise<MessagesPage>;
  context(roomId: string, eventId: string, viewer: Viewer, query: { limit?: number; filter?: string }): Promise<EventContext>;
  event(roomId: string, eventId: string, viewer: Viewer): Promise<ClientEvent>;
  timestampToEvent(roomId: string, userId: string, ts: number, dir: "b" | "f"): Promise<{ event_id: string; origin_server_ts: number }>;
}

/** A walk along one room's stream: what was kept, where it stopped, whether the range ran out. */
interface Walk {
  events: StoredEvent[];
  /** Position the next page continues from (b: read <= it; f: read > it); null: nothing read yet from the room's start. */
  cursor: number | null;
  exhausted: boolean;
  /** Stream position of the first row the range held, if any. */
  first: number | null;
}

export function createRoomHistory(deps: {
  access: HistoryAccess;
  cache: EventCache;
  stateStore: StateStore;
  repo: HistoryRepo;
  formatter: ClientEventFormatter;
  stream: Pick<StreamTracker, "persistedUpTo">;
  lazyMembers: LazyMembers;
}): RoomHistory {
  const { access, repo, formatter } = deps;
  const format = (events: readonly StoredEvent[], viewer: Viewer) => formatter.format(events, viewer, { aggregations: true });

  /**
   * Up to `limit` events of the room the filter and history visibility let through, walking
   * from `from` in direction `dir` until `bound` (b: exclusive lower bound; f: inclusive upper).
   */
  async function walk(roomId: string, userId: string, dir: "b" | "f", from: number | null, bound: number | null, limit: number, filter: RoomEventFilter): Promise<Walk> {
    const walk: Walk = { events: [], cursor: from, exhausted: false, first: null };
    for (let round = 0; round === 0 || (!walk.exhausted && walk.events.length < limit && round < MAX_PAGE_QUERIES); round++) {
      const want = limit - walk.events.length;
      const rows = await repo.page({
        roomId, dir, limit: want + 1,
        after: dir === "b" ? bound : walk.cursor,
        upTo: dir === "b" ? walk.cursor! : bound!,
        types: filter.types, notTypes: filter.not_types, senders: filter.senders, notSenders: filter.not_senders,
      });
      walk.first ??= rows[0]?.streamOrdering ?? null;
      walk.exhausted = rows.length <= want;
      const taken = rows.slice(0, want).map(toStoredEvent);
      const last = taken.at(-1);
      if (last) walk.cursor = dir === "b" ? last.streamOrdering - 1 : last.streamOrdering;
      const matching = taken.filter((e) =>
        matchesRoomEventFilter(filter, { type: e.type, sender: e.sender, roomId: e.roomId, content: e.redactedBy ? undefined : (e.pdu.content as Record<string, unknown>) }),
      );
      walk.events.push(...(await access.visible(userId, matching)));
    }
    return walk;
  }

  /** The event if it is in the room's timeline and the user may see it; 404 otherwise (the spec's answer for both). */
  async function visibleEvent(roomId: string, eventId: string, userId: string): Promise<StoredEvent> {
    const event = await deps.cache.one(eventId);
    const inTimeline = event && event.roomId === roomId && !event.rejectedReason && !event.outlier && event.stateSnapshot !== null;
    if (!inTimeline || (await access.visible(userId, [event])).length === 0) throw new MatrixError(404, "M_NOT_FOUND", "Event not found");
    return event;
  }

  const clampLimit = (limit: number | undefined, max: number) => Math.min(limit ?? DEFAULT_LIMIT, max);

  return {
    async messages(roomId, viewer, query) {
      const { upTo: leftAt } = await access.readAccess(roomId, viewer.userId);
      const filter = parseRoomEventFilter(query.filter);
      const limit = clampLimit(query.limit ?? filter.limit, MAX_MESSAGES_LIMIT);
      const from = query.from === undefined ? null : parsePositionToken(query.from, "from");
      const to = query.to === undefined ? null : parsePositionToken(query.to, "to");
      // Forward reads stop below writes still in flight, or a later page would skip them; users who left stop at their leave.
      const readable = Math.min(deps.stream.persistedUpTo(), leftAt ?? Infinity);
      let walked: Walk;
      let start: string;
      if (query.dir === "b") {
        const upper = Math.min(from ?? readable, leftAt ?? Infinity);
        start = query.from ?? positionToken(upper);
        if (!roomAllowed(filter, roomId)) return { start, chunk: [] };
        walked = await walk(roomId, viewer.userId, "b", upper, to, limit, filter);
      } else {
        const upper = Math.min(to ?? Infinity, readable);
        if (!roomAllowed(filter, roomId)) return { start: query.from ?? positionToken(upper), chunk: [] };
        walked = await walk(roomId, viewer.userId, "f", from, upper, limit, filter);
        start = query.from ?? positionToken(walked.first === null ? upper : walked.first - 1);
      }
      const page: MessagesPage = { start, chunk: await format(walked.events, viewer) };
      if (!walked.exhausted) page.end = walked.cursor === null ? start : positionToken(walked.cursor);
      if (filter.lazy_load_members && walked.events.length > 0) {
        const state = await deps.stateStore.state(walked.events[0]!.stateSnapshot!);
        const members = await deps.lazyMembers.of(roomId, state, walked.events.map((e) => e.sender), viewer, filter.include_redundant_members === true);
        if (members.length > 0) page.state = await formatter.format(members, viewer);
      }
      return page;
    },

    async context(roomId, eventId, viewer, query) {
      const { upTo: leftAt } = await access.readAccess(roomId, viewer.userId);
      const filter = parseRoomEventFilter(query.filter);
      const event = await visibleEvent(roomId, eventId, viewer.userId);
      const limit = clampLimit(query.limit, MAX_CONTEXT_LIMIT);
      const beforeLimit = Math.floor(limit / 2);
      const readable = Math.min(deps.stream.persistedUpTo(), leftAt ?? Infinity);
      const others = roomAllowed(filter, roomId);
      const before = await walk(roomId, viewer.userId, "b", event.streamOrdering - 1, null, others ? beforeLimit : 0, filter);
      const after = await walk(roomId, viewer.userId, "f", event.streamOrdering, readable, others ? limit - beforeLimit : 0, filter);
      // "The state of the room at the last event returned."
      const last = after.events.at(-1) ?? event;
      const stateMap = await deps.stateStore.state(last.stateSnapshot!);
      const stateEvents = filter.lazy_load_members
        ? await deps.lazyMembers.of(roomId, stateMap, [...before.events, event, ...after.events].map((e) => e.sender), viewer, true)
        : await deps.cache.get([...stateMap.values()]);
      const state = stateEvents.filter((e) => matchesRoomEventFilter(filter, { type: e.type, sender: e.sender, roomId, content: e.pdu.content as Record<string, unknown> }));
      const [formattedBefore, [formattedEvent], formattedAfter, formattedState] = await Promise.all([
        format(before.events, viewer), format([event], viewer), format(after.events, viewer), formatter.format(state, viewer),
      ]);
      return {
        start: positionToken(before.cursor!),
        end: positionToken(after.cursor!),
        events_before: formattedBefore,
        event: formattedEvent!,
        events_after: formattedAfter,
        state: formattedState,
      };
    },

    async event(roomId, eventId, viewer) {
      const [formatted] = await format([await visibleEvent(roomId, eventId, viewer.userId)], viewer);
      return formatted!;
    },

    async timestampToEvent(roomId, userId, ts, dir) {
      const { upTo: leftAt } = await access.readAccess(roomId, userId);
      const candidates = (await repo.nearestByTimestamp(roomId, ts, dir, TIMESTAMP_CANDIDATES, leftAt)).map(toStoredEvent);
      const [found] = await access.visible(userId, candidates);
      if (!found) throw new MatrixError(404, "M_NOT_FOUND", `Unable to find event from ${ts} in ${dir === "f" ? "forward" : "backward"} direction`);
      return { event_id: found.eventId, origin_server_ts: found.originServerTs };
    },
  };
}

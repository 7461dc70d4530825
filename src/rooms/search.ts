// Server-side search, category room_events: full-text matches in the rooms the user is or was
// in, each checked against history visibility, with pagination, groups, context and state.
// https://spec.matrix.org/v1.19/client-server-api/#server-side-search
import { MatrixError } from "../protocol/matrix-error.ts";
import type { JsonObject } from "../protocol/signed-json.ts";
import type { SearchHit, SearchOrder, SearchPosition, SearchRepo, SearchScope } from "../storage/repos/search.ts";
import { stateKey } from "../engine/index.ts";
import type { ClientEvent, ClientEventFormatter, Viewer } from "./client-events.ts";
import type { RoomEvents } from "./room-events.ts";
import type { StateStore } from "./state-store.ts";
import type { EventCache, StoredEvent } from "./stored-event.ts";
import type { HistoryAccess } from "./history-access.ts";
import { positionToken } from "./pagination-token.ts";

export type SearchKey = "content.body" | "content.name" | "content.topic";
export type GroupKey = "room_id" | "sender";

/** The room_events criteria (search.yaml), already checked against the request schema. */
export interface RoomEventsCriteria {
  search_term: string;
  keys?: SearchKey[];
  filter?: { limit?: number; rooms?: string[]; not_rooms?: string[]; types?: string[]; not_types?: string[]; senders?: string[]; not_senders?: string[]; contains_url?: boolean };
  order_by?: SearchOrder;
  event_context?: { before_limit?: number; after_limit?: number; include_profile?: boolean };
  include_state?: boolean;
  groupings?: { group_by?: { key?: GroupKey }[] };
}

interface SearchResultItem {
  rank: number;
  result: ClientEvent;
  context?: { start: string; end: string; events_before: ClientEvent[]; events_after: ClientEvent[]; profile_info?: Record<string, JsonObject> };
}

export interface RoomEventsResults {
  count: number;
  highlights: string[];
  results: SearchResultItem[];
  next_batch?: string;
  state?: Record<string, ClientEvent[]>;
  groups?: Partial<Record<GroupKey, Record<string, { results: string[]; order: number; next_batch?: string }>>>;
}

export interface RoomSearch {
  roomEvents(viewer: Viewer, criteria: RoomEventsCriteria, nextBatch?: string): Promise<RoomEventsResults>;
}

const ALL_KEYS: SearchKey[] = ["content.body", "content.name", "content.topic"];
/** Results per page when the filter names no limit (the spec's filter default). */
const DEFAULT_RESULTS = 10;
/** Limit: results per page, whatever the filter asks. */
const MAX_RESULTS_PER_PAGE = 50;
/** Limit: matches read per request while skipping ones the user may not see; the page ends early after that. */
const MAX_ROWS_SCANNED = 500;
/** Limit: matches counted for `count` (an estimate above it). */
const COUNT_CAP = 10_000;
/** Limit: context events on each side of a result (the spec's default is 5). */
const MAX_CONTEXT = 20;

/** next_batch: where the page ended, in which order, and the group it was limited to. */
interface Batch extends SearchPosition {
  order: SearchOrder;
  group?: { key: GroupKey; value: string };
}

function encodeBatch(batch: Batch): string {
  const { order, rank, streamOrdering, group } = batch;
  return Buffer.from(JSON.stringify([order, rank, streamOrdering, group?.key ?? null, group?.value ?? null])).toString("base64url");
}

function decodeBatch(token: string, order: SearchOrder): Batch {
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(token, "base64url").toString("utf8"));
  } catch {
    parsed = null;
  }
  const [o, rank, position, key, value] = Array.isArray(parsed) ? parsed : [];
  const validGroup = (key === null && value === null) || ((key === "room_id" || key === "sender") && typeof value === "string");
  if (o !== order || typeof rank !== "number" || !Number.isSafeInteger(position) || !validGroup) {
    throw new MatrixError(400, "M_INVALID_PARAM", "Invalid next_batch for this search");
  }
  return { order, rank, streamOrdering: position, group: key === null ? undefined : { key, value } };
}

/** A RoomEventFilter type pattern as LIKE: `*` is any run of characters, `%`, `_` and `\` are literal. */
const likePattern = (type: string) => type.replace(/[\\%_]/g, (c) => `\\${c}`).replace(/\*/g, "%");

/** The words of the term a client should highlight: its positive words, lowercased, skipping `or` and `-negated` ones. */
function queryWords(term: string): string[] {
  const chunks = term.toLowerCase().replaceAll('"', " ").split(/\s+/).filter((c) => c !== "or" && !c.startsWith("-"));
  return chunks.flatMap((chunk) => chunk.match(/[\p{L}\p{N}]+/gu) ?? []);
}

/** A room whose state the user may not read (getAllState refused it) contributes none. */
function noState(error: unknown): ClientEvent[] {
  if (error instanceof MatrixError) return [];
  throw error;
}

export function createRoomSearch(deps: {
  repo: SearchRepo;
  cache: EventCache;
  access: Pick<HistoryAccess, "visible">;
  formatter: ClientEventFormatter;
  stateStore: StateStore;
  events: Pick<RoomEvents, "getAllState">;
}): RoomSearch {
  const { repo, cache, formatter } = deps;

  // Redacted events lose their search row; one redacted after its row was read is skipped too.
  const visibleMatches = (userId: string, events: readonly StoredEvent[]) =>
    deps.access.visible(userId, events.filter((e) => !e.redactedBy && !e.rejectedReason && !e.outlier));

  /** The rooms and senders in scope (filter, plus the group a group's next_batch names). */
  async function scopeOf(userId: string, criteria: RoomEventsCriteria, group: Batch["group"]): Promise<SearchScope | null> {
    const filter = criteria.filter ?? {};
    let roomIds = await repo.searchableRooms(userId);
    if (filter.rooms) roomIds = roomIds.filter((id) => filter.rooms!.includes(id));
    if (filter.not_rooms) roomIds = roomIds.filter((id) => !filter.not_rooms!.includes(id));
    if (group?.key === "room_id") roomIds = roomIds.filter((id) => id === group.value);
    let senders = filter.senders;
    if (group?.key === "sender") senders = (senders ?? [group.value]).filter((s) => s === group.value);
    const keys = criteria.keys ?? ALL_KEYS;
    // A term without letters or digits has no lexemes: nothing can match.
    if (roomIds.length === 0 || keys.length === 0 || !/[\p{L}\p{N}]/u.test(criteria.search_term) || senders?.length === 0) return null;
    return {
      term: criteria.search_term, roomIds, keys,
      types: filter.types?.map(likePattern), notTypes: filter.not_types?.map(likePattern),
      senders, notSenders: filter.not_senders, containsUrl: filter.contains_url,
    };
  }

  /** Matches the user may see, reading on past hidden ones up to MAX_ROWS_SCANNED. */
  async function page(userId: string, scope: SearchScope, order: SearchOrder, from: SearchPosition | null, limit: number) {
    const found: { hit: SearchHit; event: StoredEvent }[] = [];
    let position = from;
    let scanned = 0;
    let more = true;
    while (found.length < limit && scanned < MAX_ROWS_SCANNED && more) {
      const want = Math.min(limit * 2, MAX_ROWS_SCANNED - scanned);
      const hits = await repo.search(scope, order, position, want);
      more = hits.length === want;
      const byId = new Map((await cache.get(hits.map((h) => h.eventId))).map((e) => [e.eventId, e]));
      const events = hits.map((h) => byId.get(h.eventId)).filter((e): e is StoredEvent => e !== undefined);
      const allowed = new Set((await visibleMatches(userId, events)).map((e) => e.eventId));
      for (const [i, hit] of hits.entries()) {
        position = hit;
        scanned++;
        if (allowed.has(hit.eventId)) found.push({ hit, event: byId.get(hit.eventId)! });
        if (found.length === limit) {
          more ||= i < hits.length - 1;
          break;
        }
      }
    }
    return { found, end: more ? position : null };
  }

  /** Events around each result, profiles of their senders at the result. */
  async function contexts(viewer: Viewer, results: readonly StoredEvent[], options: NonNullable<RoomEventsCriteria["event_context"]>) {
    const before = Math.min(options.before_limit ?? 5, MAX_CONTEXT);
    const after = Math.min(options.after_limit ?? 5, MAX_CONTEXT);
    const around = await repo.around(results, before, after);
    return Promise.all(
      results.map(async (event, i) => {
        const ids = around[i]!;
        const byId = new Map((await cache.get([...ids.before, ...ids.after])).map((e) => [e.eventId, e]));
        const load = async (list: string[]) => deps.access.visible(viewer.userId, list.map((id) => byId.get(id)).filter((e): e is StoredEvent => e !== undefined));
        const [eventsBefore, eventsAfter] = await Promise.all([load(ids.before), load(ids.after)]);
        const first = eventsBefore.at(-1) ?? event;
        const last = eventsAfter.at(-1) ?? event;
        const context: NonNullable<SearchResultItem["context"]> = {
          start: positionToken(first.streamOrdering - 1),
          end: positionToken(last.streamOrdering),
          events_before: await formatter.format(eventsBefore, viewer),
          events_after: await formatter.format(eventsAfter, viewer),
        };
        if (options.include_profile) context.profile_info = await profiles(event, [...eventsBefore, event, ...eventsAfter]);
        return context;
      }),
    );
  }

  /** The senders' member events in the state at the result: their profile as it was then. */
  async function profiles(at: StoredEvent, events: readonly StoredEvent[]): Promise<Record<string, JsonObject>> {
    if (at.stateSnapshot === null) return {};
    const state = await deps.stateStore.state(at.stateSnapshot);
    const senders = [...new Set(events.map((e) => e.sender))];
    const members = await cache.get(senders.map((s) => state.get(stateKey("m.room.member", s))).filter((id): id is string => id !== undefined));
    const info: Record<string, JsonObject> = {};
    for (const member of members) {
      const content = member.redactedBy ? {} : ((member.pdu.content as JsonObject | undefined) ?? {});
      const profile: JsonObject = {};
      if (typeof content.displayname === "string") profile.displayname = content.displayname;
      if (typeof content.avatar_url === "string") profile.avatar_url = content.avatar_url;
      info[member.stateKey!] = profile;
    }
    return info;
  }

  /** The words in the results that the query matched (prefix matches included), for clients to highlight. */
  function highlights(term: string, events: readonly StoredEvent[]): string[] {
    const words = queryWords(term);
    const found = new Set(words);
    for (const event of events) {
      const content = event.pdu.content as JsonObject;
      for (const field of ["body", "name", "topic"]) {
        const text = content[field];
        if (typeof text !== "string") continue;
        for (const word of text.toLowerCase().match(/[\p{L}\p{N}]+/gu) ?? []) if (words.some((w) => word.startsWith(w))) found.add(word);
      }
    }
    return [...found];
  }

  return {
    async roomEvents(viewer, criteria, nextBatch) {
      const order = criteria.order_by ?? "rank";
      const batch = nextBatch === undefined ? null : decodeBatch(nextBatch, order);
      const limit = Math.min(criteria.filter?.limit ?? DEFAULT_RESULTS, MAX_RESULTS_PER_PAGE);
      const scope = await scopeOf(viewer.userId, criteria, batch?.group);
      if (!scope) return { count: 0, highlights: [], results: [] };

      const [count, { found, end }] = await Promise.all([repo.count(scope, COUNT_CAP), page(viewer.userId, scope, order, batch, limit)]);
      const events = found.map((f) => f.event);
      const formatted = await formatter.format(events, viewer, { aggregations: true });
      const results: SearchResultItem[] = found.map((f, i) => ({ rank: f.hit.rank, result: formatted[i]! }));
      const response: RoomEventsResults = { count, highlights: highlights(criteria.search_term, events), results };
      const token = (group?: Batch["group"]) => (end ? encodeBatch({ order, rank: end.rank, streamOrdering: end.streamOrdering, group }) : undefined);
      // A top-level token keeps the group it was given, so following it stays within that group.
      if (end) response.next_batch = token(batch?.group);

      if (criteria.event_context) {
        const context = await contexts(viewer, events, criteria.event_context);
        results.forEach((r, i) => (r.context = context[i]));
      }
      if (criteria.include_state) {
        const roomIds = [...new Set(events.map((e) => e.roomId))];
        const states = await Promise.all(roomIds.map((id) => deps.events.getAllState(id, viewer).catch(noState)));
        response.state = Object.fromEntries(roomIds.map((id, i) => [id, states[i]!]));
      }
      const groupKeys = new Set((criteria.groupings?.group_by ?? []).map((g) => g.key).filter((k): k is GroupKey => k !== undefined));
      if (groupKeys.size > 0) {
        response.groups = {};
        for (const key of groupKeys) {
          const groups: NonNullable<RoomEventsResults["groups"]>[GroupKey] = {};
          for (const event of events) {
            const value = key === "room_id" ? event.roomId : event.sender;
            // order: the group's first place in this page (1 = best or newest).
            const group = (groups[value] ??= { results: [], order: Object.keys(groups).length + 1 });
            group.results.push(event.eventId);
          }
          for (const [value, group] of Object.entries(groups)) {
            const next = token({ key, value });
            if (next) group.next_batch = next;
          }
          response.groups[key] = groups;
        }
      }
      return response;
    },
  };
}

// The request body of simplified sliding sync (MSC4186, /work/shared/msc/4186-simplified-sliding-sync.md,
// "Request Body"), checked and normalised. Besides the MSC's shape it takes the one Synapse and
// current clients send: `ranges` instead of `range`, `required_state` as [type, state_key] pairs
// with "*" wildcards, "$LAZY" and "$ME", and `is_invite`.
import { MatrixError } from "../../protocol/matrix-error.ts";

/** Limits of the MSC: lists and room subscriptions per request. */
export const MAX_LISTS = 100;
export const MAX_SUBSCRIPTIONS = 100;
/** Limit: timeline events per room ("The server may cap this number"). */
export const MAX_TIMELINE_LIMIT = 100;

/** One state element: undefined matches every type / every state key. */
export interface StateElement {
  type?: string;
  stateKey?: string;
}

export interface RequiredState {
  include: StateElement[];
  exclude: StateElement[];
  lazyMembers: boolean;
}

export interface RoomConfig {
  timelineLimit: number;
  requiredState: RequiredState;
}

export interface ListFilters {
  isDm?: boolean;
  isEncrypted?: boolean;
  isInvited?: boolean;
  roomTypes?: (string | null)[];
  notRoomTypes?: (string | null)[];
  spaces?: string[];
  tags?: string[];
  notTags?: string[];
}

export interface ListConfig extends RoomConfig {
  /** Inclusive [start, end] windows; null: the whole list. */
  ranges: [number, number][] | null;
  filters: ListFilters;
}

export interface SlidingRequest {
  connId: string;
  pos: string | null;
  timeout: number;
  lists: Map<string, ListConfig>;
  subscriptions: Map<string, RoomConfig>;
  extensions: Record<string, Record<string, unknown>>;
}

const bad = (message: string) => new MatrixError(400, "M_INVALID_PARAM", message);
const isObject = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);
const optBool = (v: unknown, name: string): boolean | undefined => {
  if (v === undefined) return undefined;
  if (typeof v !== "boolean") throw bad(`${name} must be a boolean`);
  return v;
};
const optStrings = <T extends string | null = string>(v: unknown, name: string, allowNull = false): T[] | undefined => {
  if (v === undefined) return undefined;
  if (!Array.isArray(v) || !v.every((s) => typeof s === "string" || (allowNull && s === null))) throw bad(`${name} must be a list of strings`);
  return v as T[];
};

function parseRequiredState(raw: unknown, userId: string, name: string): RequiredState {
  const me = (key: string | undefined) => (key === "$ME" ? userId : key);
  if (raw === undefined) return { include: [], exclude: [], lazyMembers: false };
  if (Array.isArray(raw)) {
    // Synapse's form: [[type, state_key]], "*" a wildcard, ["m.room.member", "$LAZY"] lazy members.
    const result: RequiredState = { include: [], exclude: [], lazyMembers: false };
    for (const pair of raw) {
      if (!Array.isArray(pair) || pair.length !== 2 || !pair.every((s) => typeof s === "string")) throw bad(`${name}.required_state entries must be [type, state_key]`);
      const [type, key] = pair as [string, string];
      if (type === "m.room.member" && key === "$LAZY") result.lazyMembers = true;
      else result.include.push({ type: type === "*" ? undefined : type, stateKey: key === "*" ? undefined : me(key) });
    }
    return result;
  }
  if (!isObject(raw)) throw bad(`${name}.required_state must be an object`);
  const elements = (list: unknown, field: string): StateElement[] => {
    if (list === undefined) return [];
    if (!Array.isArray(list)) throw bad(`${name}.required_state.${field} must be a list`);
    return list.map((e) => {
      if (!isObject(e) || (e.type !== undefined && typeof e.type !== "string") || (e.state_key !== undefined && typeof e.state_key !== "string")) {
        throw bad(`${name}.required_state.${field} entries must be {type?, state_key?}`);
      }
      return { type: e.type as string | undefined, stateKey: me(e.state_key as string | undefined) };
    });
  };
  return { include: elements(raw.include, "include"), exclude: elements(raw.exclude, "exclude"), lazyMembers: optBool(raw.lazy_members, `${name}.required_state.lazy_members`) ?? false };
}

function parseRoomConfig(raw: unknown, userId: string, name: string): RoomConfig {
  if (!isObject(raw)) throw bad(`${name} must be an object`);
  const limit = raw.timeline_limit ?? 0;
  if (typeof limit !== "number" || !Number.isSafeInteger(limit) || limit < 0) throw bad(`${name}.timeline_limit must be a non-negative integer`);
  return { timelineLimit: Math.min(limit, MAX_TIMELINE_LIMIT), requiredState: parseRequiredState(raw.required_state, userId, name) };
}

function parseRange(raw: unknown, name: string): [number, number] {
  if (!Array.isArray(raw) || raw.length !== 2 || !raw.every((n) => Number.isSafeInteger(n) && n >= 0) || raw[0] > raw[1]) {
    throw bad(`${name} must be [start, end] with 0 <= start <= end`);
  }
  return raw as [number, number];
}

function parseFilters(raw: unknown, name: string): ListFilters {
  if (raw === undefined) return {};
  if (!isObject(raw)) throw bad(`${name}.filters must be an object`);
  return {
    isDm: optBool(raw.is_dm, "is_dm"),
    isEncrypted: optBool(raw.is_encrypted, "is_encrypted"),
    isInvited: optBool(raw.is_invited ?? raw.is_invite, "is_invited"),
    roomTypes: optStrings<string | null>(raw.room_types, "room_types", true),
    notRoomTypes: optStrings<string | null>(raw.not_room_types, "not_room_types", true),
    spaces: optStrings(raw.spaces, "spaces"),
    tags: optStrings(raw.tags, "tags"),
    notTags: optStrings(raw.not_tags, "not_tags"),
  };
}

/** The body (and, for the unstable path, `pos` and `timeout` from the query string), checked. */
export function parseSlidingRequest(body: Record<string, unknown>, query: { pos?: string; timeout?: number; conn_id?: string }, userId: string): SlidingRequest {
  const connId = body.conn_id ?? query.conn_id ?? "";
  if (typeof connId !== "string" || connId.length > 255) throw bad("conn_id must be a string of at most 255 characters");
  const pos = body.pos ?? query.pos ?? null;
  if (pos !== null && typeof pos !== "string") throw bad("pos must be a string");
  const timeout = body.timeout ?? query.timeout ?? 0;
  if (typeof timeout !== "number" || !Number.isSafeInteger(timeout) || timeout < 0) throw bad("timeout must be a non-negative integer");
  const lists = new Map<string, ListConfig>();
  if (body.lists !== undefined) {
    if (!isObject(body.lists)) throw bad("lists must be an object");
    const entries = Object.entries(body.lists);
    if (entries.length > MAX_LISTS) throw bad(`At most ${MAX_LISTS} lists`);
    for (const [key, raw] of entries) {
      const config = parseRoomConfig(raw, userId, `lists.${key}`);
      const list = raw as Record<string, unknown>;
      let ranges: [number, number][] | null = null;
      if (list.range !== undefined) ranges = [parseRange(list.range, `lists.${key}.range`)];
      else if (list.ranges !== undefined) {
        if (!Array.isArray(list.ranges)) throw bad(`lists.${key}.ranges must be a list`);
        ranges = list.ranges.map((r) => parseRange(r, `lists.${key}.ranges`));
      }
      lists.set(key, { ...config, ranges, filters: parseFilters(list.filters, `lists.${key}`) });
    }
  }
  const subscriptions = new Map<string, RoomConfig>();
  if (body.room_subscriptions !== undefined) {
    if (!isObject(body.room_subscriptions)) throw bad("room_subscriptions must be an object");
    const entries = Object.entries(body.room_subscriptions);
    if (entries.length > MAX_SUBSCRIPTIONS) throw bad(`At most ${MAX_SUBSCRIPTIONS} room subscriptions`);
    for (const [roomId, raw] of entries) subscriptions.set(roomId, parseRoomConfig(raw, userId, `room_subscriptions.${roomId}`));
  }
  const extensions = body.extensions ?? {};
  if (!isObject(extensions) || !Object.values(extensions).every(isObject)) throw bad("extensions must be an object of objects");
  return { connId, pos, timeout, lists, subscriptions, extensions: extensions as Record<string, Record<string, unknown>> };
}

const matches = (e: StateElement, type: string, key: string) => (e.type === undefined || e.type === type) && (e.stateKey === undefined || e.stateKey === key);

/** Whether one config asks for (type, state_key): with lazy members, member events only by name (the MSC's `include: [{}]` example). */
function wantedBy(c: RequiredState, type: string, key: string): boolean {
  const included = c.include.some((e) => matches(e, type, key) && !(c.lazyMembers && type === "m.room.member" && e.stateKey === undefined));
  return included && !c.exclude.some((e) => matches(e, type, key));
}

/**
 * Whether any of the configs asks for (type, state_key): the configs kept apart and their answers
 * united (MSC "Combining required_state", approach a), so a config returning every member wins
 * over another's lazy loading.
 */
export const stateWanted = (configs: readonly RequiredState[], type: string, key: string): boolean => configs.some((c) => wantedBy(c, type, key));

/** The configs of the rules a room matches, combined into their superset (MSC "Combining room configs"). */
export function combineConfigs(configs: readonly RoomConfig[]): { timelineLimit: number; requiredState: RequiredState[]; lazyMembers: boolean } {
  return {
    timelineLimit: Math.max(0, ...configs.map((c) => c.timelineLimit)),
    requiredState: configs.map((c) => c.requiredState),
    lazyMembers: configs.some((c) => c.requiredState.lazyMembers),
  };
}

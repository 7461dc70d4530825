// Authorization rules through the Rust core (wasm/src/event_auth/): which state an event's
// authorization reads, and whether the event is allowed against that state, with the spec's
// rule number when it is not. https://spec.matrix.org/v1.19/server-server-api/#authorization-rules
//
// The caller asks authTypesForEvent, fetches those state events (from the event's auth
// events, the state before it, or the current state: checks on receipt, steps 4 to 6), and
// passes them to checkAuth. Only the fields the rules read cross the boundary.
import type { RoomVersionRules } from "./room-versions.ts";
import { UnknownRoomVersionError } from "./events.ts";
import { WasmOperationError, type WasmCore } from "./wasm-module.ts";

/** An event as the rules read it: a PDU, or any object with at least these fields. */
export interface AuthPdu {
  /** Required for state and auth events; for the checked event only in v1/v2 (or pass `eventId`). */
  event_id?: string;
  /** Absent only on a v12 create event. */
  room_id?: string;
  sender: string;
  type: string;
  state_key?: string;
  content?: Readonly<Record<string, unknown>>;
  prev_events?: readonly unknown[];
  auth_events?: readonly unknown[];
  /** Top-level `redacts` before v11 (v11+: `content.redacts`). */
  redacts?: string;
}

/** Allowed, or rejected under `rule` as the spec numbers it for the room version (e.g. "4.3.3"). */
export type AuthResult = { allowed: true } | { allowed: false; rule: string; reason: string };

export interface CheckAuthOptions {
  /** The checked event's id when the event does not carry it (room versions 3 and later). */
  eventId?: string;
  /**
   * The events of `event.auth_events` (any order). When given, the rule on the event's
   * auth_events list (rule 2; v12: 3) runs first: duplicates, entries the selection does not
   * select, rejected entries, no create event (before v12), another room's events.
   */
  authEvents?: readonly AuthPdu[];
  /** Ids among `authEvents` that were themselves rejected. */
  rejected?: Iterable<string>;
  /**
   * Servers whose valid signature the event carries (the caller verified them): the rule for
   * `join_authorised_via_users_server` (v8+) needs that user's server among them.
   */
  signedBy?: readonly string[];
}

/** One check of a batch: the event, the state to check it against, and the options. */
export interface AuthCheck extends CheckAuthOptions {
  event: AuthPdu;
  authState: readonly AuthPdu[];
}

/** The auth operations of the Engine facade. */
export interface EventAuth {
  /** The (type, state_key) pairs the event's authorization reads: the auth events selection. */
  authTypesForEvent(roomVersion: string, event: AuthPdu): [type: string, stateKey: string][];
  /**
   * Whether `event` passes the authorization rules against `authState` (its auth events, the
   * state before it, or the current state). In v12 `authState` must hold the create event.
   */
  checkAuth(roomVersion: string, event: AuthPdu, authState: readonly AuthPdu[], options?: CheckAuthOptions): AuthResult;
  /** Many checks in one crossing; a state event shared by several checks is sent once. */
  checkAuthBatch(roomVersion: string, checks: readonly AuthCheck[]): AuthResult[];
}

const utf8 = { encode: new TextEncoder(), decode: new TextDecoder() };

/**
 * The content the rules read, by event type (wasm/src/event_auth/): whole for the types whose
 * rules read their content (create, power levels, join rules, third-party invites, aliases),
 * `membership` alone for a member event used as state, and nothing for any other type but a
 * v11+ redaction's `content.redacts`. Parsing a message body the rules never read was most of
 * a check's cost. The fixtures, which run whole events through `cargo test` and pruned ones
 * through here, keep this list honest.
 */
function contentFor(event: AuthPdu, checked: boolean): Readonly<Record<string, unknown>> | undefined {
  const content = event.content;
  if (content === undefined || content === null || typeof content !== "object") return content;
  switch (event.type) {
    case "m.room.create":
    case "m.room.power_levels":
    case "m.room.join_rules":
    case "m.room.third_party_invite":
    case "m.room.aliases":
      return content;
    case "m.room.member":
      // The checked member event: membership, third_party_invite, join_authorised_via_users_server.
      return checked ? content : { membership: content.membership };
    case "m.room.redaction":
      return content.redacts === undefined ? {} : { redacts: content.redacts };
    default:
      return {};
  }
}

/** State and auth events need no references: only the checked event's are read. */
function compactState(event: AuthPdu, checked = false): AuthPdu {
  return {
    event_id: event.event_id,
    room_id: event.room_id,
    sender: event.sender,
    type: event.type,
    state_key: event.state_key,
    content: contentFor(event, checked),
  };
}

/** The fields the rules read: signatures, hashes and unsigned stay on this side. */
function compact(event: AuthPdu): AuthPdu {
  return { ...compactState(event, true), prev_events: event.prev_events, auth_events: event.auth_events, redacts: event.redacts };
}

/** The error prefix of wasm/src/event_auth/op.rs for a state token the module does not hold. */
const CACHE_MISS = "auth cache miss";
const caches = new WeakMap<WasmCore, { tokens: WeakMap<AuthPdu, number>; next: number }>();

export function createEventAuth(core: WasmCore, roomVersions: ReadonlyMap<string, RoomVersionRules>): EventAuth {
  // The module keeps state events it was sent, by a token per event object (op.rs), so the
  // power levels event that nearly every check needs is encoded and parsed once, not per call.
  // Objects are taken as immutable, like every event the server holds.
  // Tokens belong to the module instance's cache, so facades over one core share them.
  let cache = caches.get(core);
  if (cache === undefined) caches.set(core, (cache = { tokens: new WeakMap(), next: 1 }));
  const { tokens } = cache;
  const newToken = () => cache!.next++;
  /** Entries for `list`: the token of an event sent before, else the event with its new token. */
  const cachedList = (list: readonly AuthPdu[] | undefined, useTokens: boolean) => {
    if (list === undefined) return { items: undefined, tokens: undefined };
    const items: (AuthPdu | number)[] = [];
    const sent: (number | null)[] = [];
    for (const event of list) {
      const token = tokens.get(event);
      if (useTokens && token !== undefined) {
        items.push(token);
        sent.push(null);
      } else {
        const fresh = token ?? newToken();
        tokens.set(event, fresh);
        items.push(compactState(event));
        sent.push(fresh);
      }
    }
    return { items, tokens: sent };
  };

  const known = (roomVersion: string) => {
    if (!roomVersions.has(roomVersion)) throw new UnknownRoomVersionError(roomVersion);
  };
  // The events are plain JSON (parsed PDUs), so JSON.stringify writes them as they are.
  const call = <T>(operation: "event_auth_types" | "event_auth_check" | "event_auth_check_batch", input: unknown): T =>
    JSON.parse(utf8.decode.decode(core.call(operation, utf8.encode.encode(JSON.stringify(input))))) as T;

  return {
    authTypesForEvent(roomVersion, event) {
      known(roomVersion);
      return call("event_auth_types", { room_version: roomVersion, event: compact(event) });
    },

    checkAuth(roomVersion, event, authState, options = {}) {
      known(roomVersion);
      const attempt = (useTokens: boolean): AuthResult => {
        const state = cachedList(authState, useTokens);
        const authEvents = cachedList(options.authEvents, useTokens);
        return call("event_auth_check", {
          room_version: roomVersion,
          event: compact(event),
          event_id: options.eventId,
          state: state.items,
          state_tokens: state.tokens,
          auth_events: authEvents.items,
          auth_event_tokens: authEvents.tokens,
          rejected: options.rejected === undefined ? undefined : [...options.rejected],
          signed_by: options.signedBy,
        });
      };
      try {
        return attempt(true);
      } catch (error) {
        // Evicted, or a fresh instance after a trap: send the events themselves.
        if (error instanceof WasmOperationError && error.message.startsWith(CACHE_MISS)) return attempt(false);
        throw error;
      }
    },

    checkAuthBatch(roomVersion, checks) {
      known(roomVersion);
      const attempt = (useTokens: boolean): AuthResult[] => {
        // Each object is sent once: checked events whole (compact), state events lighter
        // (compactState) or as the token of an earlier call; a checked event can stand in
        // for the same object as state.
        const events: (AuthPdu | number)[] = [];
        const eventTokens: (number | null)[] = [];
        const checked = new Map<AuthPdu, number>();
        const asState = new Map<AuthPdu, number>();
        const index = (event: AuthPdu, full: boolean): number => {
          let at = checked.get(event) ?? (full ? undefined : asState.get(event));
          if (at !== undefined) return at;
          if (full) {
            at = events.push(compact(event)) - 1;
            eventTokens.push(null);
            checked.set(event, at);
          } else {
            const token = tokens.get(event);
            if (useTokens && token !== undefined) {
              at = events.push(token) - 1;
              eventTokens.push(null);
            } else {
              const fresh = token ?? newToken();
              tokens.set(event, fresh);
              at = events.push(compactState(event)) - 1;
              eventTokens.push(fresh);
            }
            asState.set(event, at);
          }
          return at;
        };
        const items = checks.map((check) => {
          const rejected = check.rejected === undefined ? [] : [...check.rejected];
          return {
            event: index(check.event, true),
            event_id: check.eventId,
            state: check.authState.map((event) => index(event, false)),
            auth_events: check.authEvents?.map((event) => index(event, false)),
            rejected: check.authEvents
              ?.filter((event) => event.event_id !== undefined && rejected.includes(event.event_id))
              .map((event) => index(event, false)),
            signed_by: check.signedBy,
          };
        });
        return call("event_auth_check_batch", { room_version: roomVersion, events, event_tokens: eventTokens, checks: items });
      };
      try {
        return attempt(true);
      } catch (error) {
        if (error instanceof WasmOperationError && error.message.startsWith(CACHE_MISS)) return attempt(false);
        throw error;
      }
    },
  };
}

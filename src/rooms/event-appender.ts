// Builds, authorizes, signs and persists the events this server's users send: the one write
// path for local events. Per room, one event at a time (RoomHeads.withRoomLock); per event, one
// transaction (EventsRepo.persist).
// https://spec.matrix.org/v1.19/server-server-api/#pdus (building), #authorization-rules,
// https://spec.matrix.org/v1.19/server-server-api/#signing-events
import { randomBytes } from "node:crypto";
import { stateKey as keyOf, type AuthPdu, type Engine, type EventSigner } from "../engine/index.ts";
import { MatrixError } from "../protocol/matrix-error.ts";
import type { JsonObject } from "../protocol/signed-json.ts";
import type { EventsRepo, EventWrite } from "../storage/repos/events.ts";
import type { RoomBus } from "./bus.ts";
import type { RoomHead, RoomHeads } from "./room-heads.ts";
import { statsChange } from "./room-stats.ts";
import type { StateStore } from "./state-store.ts";
import type { EventCache, StoredEvent } from "./stored-event.ts";
import type { StreamTracker } from "./stream-tracker.ts";

export interface LocalEvent {
  roomId: string;
  type: string;
  sender: string;
  content: JsonObject;
  stateKey?: string;
  /** Top-level `redacts` (room versions before 11; v11+ reads content.redacts). */
  redacts?: string;
  /** origin_server_ts other than now: an application service's `ts` (timestamp massaging). */
  originServerTs?: number;
}

export interface SendTransaction {
  userId: string;
  deviceId: string;
  /** The endpoint (path without the txn id): ids are scoped to a device and an endpoint. */
  endpoint: string;
  txnId: string;
  requestHash: string;
}

/** Limit: prev_events of an event this server builds (the spec allows 20). */
const MAX_PREV_EVENTS = 10;
/** The spec's ceiling on depth (2^63 - 1); JavaScript numbers are exact only to 2^53. */
const MAX_DEPTH = Number.MAX_SAFE_INTEGER;

export interface EventAppender {
  /** Persists the create event of a new room and returns the room id. */
  create(roomVersion: string, sender: string, content: JsonObject): Promise<StoredEvent>;
  /**
   * Appends an event to a room this server knows. `check` runs with the room locked and the
   * head current, before the event is built (client-side rules such as "may redact this").
   */
  append(event: LocalEvent, options?: { transaction?: SendTransaction; check?: (head: RoomHead) => Promise<void> | void }): Promise<StoredEvent>;
}

export function createEventAppender(deps: {
  engine: Engine;
  signer: EventSigner;
  repo: Pick<EventsRepo, "persist" | "nextStreamOrdering">;
  heads: RoomHeads;
  stateStore: StateStore;
  cache: EventCache;
  bus: RoomBus;
  stream: StreamTracker;
  now: () => number;
}): EventAppender {
  const { engine, signer, heads, cache, now } = deps;

  /** v1/v2 reference events as [id, {sha256}] pairs (https://spec.matrix.org/v1.19/rooms/v1/#event-format). */
  async function references(head: RoomHead | null, ids: string[]): Promise<unknown[]> {
    if (!head || head.rules.event_id_format !== "server_local") return ids;
    const events = new Map((await cache.get(ids)).map((e) => [e.eventId, e]));
    return ids.map((id) => [id, { sha256: (events.get(id)?.pdu.hashes as JsonObject | undefined)?.sha256 ?? "" }]);
  }

  async function persist(head: RoomHead | null, version: string, proto: JsonObject, transaction?: SendTransaction): Promise<{ stored: StoredEvent; head: RoomHead }> {
    const rules = engine.roomVersions.get(version)!;
    if (rules.event_id_format === "server_local") {
      proto.event_id = `$${randomBytes(12).toString("base64url")}:${signer.serverName}`;
      proto.origin = signer.serverName;
    }
    let signed;
    let issue: { code: string; message: string } | null;
    try {
      signed = engine.signEvent(version, proto, signer);
      // Signing hashes but does not check the format: the size (signatures included), key lengths.
      issue = engine.validateEvent(version, signed.event);
    } catch (error) {
      issue = (error as { issue?: { code: string; message: string } }).issue ?? null;
      if (!issue) throw error;
    }
    // Oversized or malformed content: the client's event does not fit the room version's format.
    if (issue?.code === "too_large") throw new MatrixError(413, "M_TOO_LARGE", "Event is too large");
    if (issue || !signed) throw new MatrixError(400, "M_BAD_JSON", issue?.message ?? "Malformed event");
    const event = signed.event;
    const eventId = signed.eventId;
    const roomId = head?.roomId ?? signed.roomId ?? (proto.room_id as string);
    const type = event.type as string;
    const stateKey = typeof event.state_key === "string" ? event.state_key : null;
    const content = event.content as JsonObject;

    if (head) {
      // Authorization against the current state (the state before this event).
      // The auth events were selected from the current state when the event was built.
      const createId = head.state.get(keyOf("m.room.create", ""));
      const ids = (event.auth_events as unknown[]).map((ref) => (Array.isArray(ref) ? (ref[0] as string) : (ref as string)));
      if (createId && !ids.includes(createId)) ids.push(createId);
      const authState = (await cache.get(ids)).map(authPdu);
      const result = engine.checkAuth(version, event as unknown as AuthPdu, authState, { eventId, signedBy: [signer.serverName] });
      if (!result.allowed) throw new MatrixError(403, "M_FORBIDDEN", result.reason);
    }

    const depth = event.depth as number;
    const relates = content["m.relates_to"] as JsonObject | undefined;
    const relatesTo = relates && typeof relates.event_id === "string" && typeof relates.rel_type === "string" ? relates : undefined;
    const membership = type === "m.room.member" && typeof content.membership === "string" ? content.membership : null;
    const write: EventWrite = {
      event: {
        eventId, roomId, streamOrdering: 0, depth, type, stateKey, sender: event.sender as string,
        originServerTs: event.origin_server_ts as number, json: JSON.stringify(event), membership,
        stateSnapshot: head?.snapshot ?? null, replacesState: null,
        relatesTo: (relatesTo?.event_id as string | undefined) ?? null, relType: (relatesTo?.rel_type as string | undefined) ?? null,
        senderDevice: transaction?.deviceId ?? null, txnId: transaction?.txnId ?? null,
      },
      prevEvents: head ? [...head.extremities.keys()].filter((id) => (event.prev_events as unknown[]).some((p) => p === id || (Array.isArray(p) && p[0] === id))) : [],
    };
    if (!head) write.newRoom = { roomVersion: version, creator: event.sender as string, createdTs: now() };
    if (transaction) write.transaction = { ...transaction, createdTs: now() };

    let state = head?.state ?? new Map<string, string>();
    let snapshot = null;
    if (stateKey !== null) {
      const key = keyOf(type, stateKey);
      const replaced = state.get(key) ?? null;
      const next = new Map(state);
      next.set(key, eventId);
      snapshot = await deps.stateStore.prepare(head?.snapshot ?? null, next, new Map([[key, eventId]]));
      write.snapshot = snapshot;
      write.event.stateSnapshot = snapshot.id;
      write.event.replacesState = replaced;
      write.currentState = [{ type, stateKey, eventId, membership }];
      const previous = replaced ? await cache.one(replaced) : undefined;
      write.stats = statsChange(type, content, previous?.membership ?? null);
      if (membership) write.membership = { userId: stateKey, membership };
      state = next;
    }
    const redacts = type === "m.room.redaction" ? (rules.redaction_rules_v11 ? content.redacts : event.redacts) : undefined;
    if (typeof redacts === "string") {
      const target = await cache.one(redacts);
      if (target?.roomId === roomId) write.redacts = redacts;
    }
    const search = searchText(type, content);
    if (search) write.search = search;

    // The position is taken only now, with nothing awaited before it is marked in flight: one
    // taken before the awaits above could be passed by a later one that commits first, and
    // readers of the stream (sync) would skip it for good.
    write.event.streamOrdering = await deps.repo.nextStreamOrdering();
    const done = deps.stream.begin(write.event.streamOrdering);
    try {
      await deps.repo.persist(write);
    } finally {
      done();
    }
    if (write.redacts) cache.forget(write.redacts);
    const { json: _json, ...columns } = write.event;
    const stored: StoredEvent = { ...columns, pdu: event, redactedBy: null, rejectedReason: null, outlier: false };
    cache.add(stored);
    if (snapshot) deps.stateStore.remember(snapshot, state);
    const extremities = new Map(head?.extremities ?? []);
    for (const id of write.prevEvents) extremities.delete(id);
    extremities.set(eventId, depth);
    const newHead: RoomHead = {
      roomId, version, rules, creator: head?.creator ?? (event.sender as string), extremities,
      snapshot: snapshot?.id ?? head?.snapshot ?? null, state,
    };
    heads.set(newHead);
    deps.bus.emit({ event: stored, transaction: transaction ? { userId: transaction.userId, deviceId: transaction.deviceId, txnId: transaction.txnId } : undefined });
    return { stored, head: newHead };
  }

  return {
    async create(roomVersion, sender, content) {
      const rules = engine.roomVersions.get(roomVersion)!;
      const proto: JsonObject = {
        type: "m.room.create", sender, state_key: "", content, origin_server_ts: now(), depth: 1, prev_events: [], auth_events: [],
      };
      // Before v12 the room id is chosen here; from v12 it is the create event's reference hash.
      if (!rules.room_id_from_create_event) proto.room_id = `!${randomBytes(18).toString("base64url")}:${signer.serverName}`;
      const roomKey = (proto.room_id as string | undefined) ?? `create:${sender}:${Math.random()}`;
      return heads.withRoomLock(roomKey, async () => (await persist(null, roomVersion, proto)).stored);
    },

    append(input, options = {}) {
      return heads.withRoomLock(input.roomId, async () => {
        const head = await heads.get(input.roomId);
        if (!head) throw new MatrixError(404, "M_NOT_FOUND", "Unknown room");
        await options.check?.(head);
        const prev = [...head.extremities].sort((a, b) => b[1] - a[1]).slice(0, MAX_PREV_EVENTS);
        const depth = Math.min(Math.max(0, ...prev.map(([, d]) => d)) + 1, MAX_DEPTH);
        const proto: JsonObject = {
          room_id: head.roomId, sender: input.sender, type: input.type, content: input.content, origin_server_ts: input.originServerTs ?? now(), depth,
          prev_events: await references(head, prev.map(([id]) => id)), auth_events: [],
        };
        if (input.stateKey !== undefined) proto.state_key = input.stateKey;
        if (input.redacts !== undefined) proto.redacts = input.redacts;
        const authKeys = engine.authTypesForEvent(head.version, proto as unknown as AuthPdu);
        const authIds = authKeys.map(([t, k]) => head.state.get(keyOf(t, k))).filter((id): id is string => id !== undefined);
        proto.auth_events = await references(head, authIds);
        return (await persist(head, head.version, proto, options.transaction)).stored;
      });
    },
  };
}

/** The event with its id, as the rules read it; one object per event so the engine's parse cache hits. */
const authPdus = new WeakMap<StoredEvent, AuthPdu>();
function authPdu(event: StoredEvent): AuthPdu {
  let pdu = authPdus.get(event);
  if (!pdu) {
    pdu = { ...(event.pdu as unknown as AuthPdu), event_id: event.eventId };
    authPdus.set(event, pdu);
  }
  return pdu;
}

/** What POST /search finds: message bodies, room names and topics. */
function searchText(type: string, content: JsonObject): { key: string; text: string } | null {
  const field = type === "m.room.message" ? "body" : type === "m.room.name" ? "name" : type === "m.room.topic" ? "topic" : null;
  const value = field ? content[field] : undefined;
  return field && typeof value === "string" && value.length > 0 ? { key: `content.${field}`, text: value } : null;
}

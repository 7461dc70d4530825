// Sending events: PUT /send/{type}/{txnId}, PUT/GET /state/{type}/{stateKey}, GET /state,
// PUT /redact/{eventId}/{txnId}.
// https://spec.matrix.org/v1.19/client-server-api/#sending-events-to-a-room
// https://spec.matrix.org/v1.19/client-server-api/#transaction-identifiers
import { createHash } from "node:crypto";
import { stateKey as keyOf, type Engine } from "../engine/index.ts";
import { MatrixError } from "../protocol/matrix-error.ts";
import type { JsonObject } from "../protocol/signed-json.ts";
import { DuplicateTransactionError } from "../storage/errors.ts";
import type { EventsRepo } from "../storage/repos/events.ts";
import type { ClientEvent, ClientEventFormatter, Viewer } from "./client-events.ts";
import type { RoomDirectory } from "./directory.ts";
import type { EventAppender, SendTransaction } from "./event-appender.ts";
import type { RelationCheck } from "./relation-checks.ts";
import type { RoomModeration } from "./admin-moderation.ts";
import { checkGuestMayJoin, currentMember } from "./membership.ts";
import { hasPower } from "./power-levels.ts";
import type { RoomHead, RoomHeads } from "./room-heads.ts";
import type { StateStore } from "./state-store.ts";
import type { EventCache, StoredEvent } from "./stored-event.ts";

export interface Sender extends Viewer {
  isGuest?: boolean;
}

export interface RoomEvents {
  /** `ts`: the event's origin_server_ts, when an application service sets it (timestamp massaging). */
  send(roomId: string, sender: Sender, type: string, content: JsonObject, txnId: string, ts?: number): Promise<string>;
  setState(roomId: string, sender: Sender, type: string, stateKey: string, content: JsonObject, ts?: number): Promise<string>;
  redact(roomId: string, sender: Sender, eventId: string, txnId: string, reason?: string): Promise<string>;
  /** One state event's content (or whole event) as the user may see it: current if joined, else at their leave. */
  getState(roomId: string, userId: string, type: string, stateKey: string): Promise<StoredEvent>;
  /** The state the user may see: current if joined, else the state when they left. */
  getAllState(roomId: string, viewer: Viewer): Promise<ClientEvent[]>;
}

/** Event types clients may not send with /send (they are state or need their own endpoint). */
const NOT_SENDABLE = new Set(["m.room.redaction"]);

export function createRoomEvents(deps: {
  engine: Engine;
  appender: EventAppender;
  heads: RoomHeads;
  cache: EventCache;
  stateStore: StateStore;
  repo: Pick<EventsRepo, "transaction">;
  formatter: ClientEventFormatter;
  directory: Pick<RoomDirectory, "resolveLocalAlias">;
  serverName: string;
  /** Checks of content["m.relates_to"] (relation-checks.ts), run with the room locked. */
  checkRelation?: RelationCheck;
  /** Blocked rooms and suspended accounts (admin API); without it, none. */
  moderation?: RoomModeration;
}): RoomEvents {
  const { appender, heads, cache } = deps;
  const suspended = () => new MatrixError(403, "M_USER_SUSPENDED", "You cannot perform this action while suspended.");
  const inFlight = new Map<string, Promise<string>>();

  /**
   * Idempotency per device, endpoint and txnId: a retry returns the first event; the same id on
   * the same endpoint with another body is refused. `endpoint` names the path without the txn id.
   */
  async function once(sender: Sender, txnId: string, endpoint: unknown[], body: unknown, run: (transaction: SendTransaction) => Promise<string>): Promise<string> {
    const deviceId = sender.deviceId ?? "";
    const requestHash = createHash("sha256").update(jsonText(body)).digest("base64");
    const endpointKey = JSON.stringify(endpoint);
    const key = JSON.stringify([sender.userId, deviceId, endpointKey, txnId]);
    const stored = () => deps.repo.transaction(sender.userId, deviceId, endpointKey, txnId);
    const pending = inFlight.get(key);
    if (pending) {
      const eventId = await pending;
      return checkSame(await stored(), requestHash) ?? eventId;
    }
    // No lookup first: the stored txn id's unique key refuses a retry, which then reads the first answer.
    const promise = run({ userId: sender.userId, deviceId, endpoint: endpointKey, txnId, requestHash })
      .catch(async (error) => {
        if (!(error instanceof DuplicateTransactionError)) throw error;
        return checkSame(await stored(), requestHash)!;
      })
      .finally(() => inFlight.delete(key));
    inFlight.set(key, promise);
    return promise;
  }

  function checkSame(existing: { eventId: string; requestHash: string } | undefined, requestHash: string): string | undefined {
    if (!existing) return undefined;
    if (existing.requestHash !== requestHash) {
      throw new MatrixError(400, "M_INVALID_PARAM", "This transaction id was already used for a different request");
    }
    return existing.eventId;
  }

  /** The state a non-member may read: the state at their leave, or nothing. */
  async function visibleState(head: RoomHead, userId: string): Promise<ReadonlyMap<string, string>> {
    const member = await currentMember(head, cache, userId);
    if (member?.membership === "join") return head.state;
    if (member?.membership === "leave" || member?.membership === "ban") {
      // The state when they left (their leave event's snapshot holds the state after it).
      return member.stateSnapshot === null ? new Map() : deps.stateStore.state(member.stateSnapshot);
    }
    const historyId = head.state.get(keyOf("m.room.history_visibility", ""));
    const visibility = historyId ? ((await cache.one(historyId))?.pdu.content as JsonObject | undefined)?.history_visibility : undefined;
    if (visibility === "world_readable") return head.state;
    throw new MatrixError(403, "M_FORBIDDEN", "You are not in the room");
  }

  async function checkCanonicalAlias(roomId: string, content: JsonObject): Promise<void> {
    const aliases = [content.alias, ...(Array.isArray(content.alt_aliases) ? content.alt_aliases : [])].filter((a) => a !== undefined && a !== null);
    if (content.alt_aliases !== undefined && !Array.isArray(content.alt_aliases)) throw new MatrixError(400, "M_INVALID_PARAM", "alt_aliases must be a list");
    for (const alias of aliases) {
      if (typeof alias !== "string" || !/^#[^:]+:.+$/.test(alias)) throw new MatrixError(400, "M_INVALID_PARAM", `Invalid alias ${JSON.stringify(alias)}`);
      // Aliases of this server must point to this room; others cannot be checked without federation.
      if (alias.endsWith(`:${deps.serverName}`) && (await deps.directory.resolveLocalAlias(alias)) !== roomId) {
        throw new MatrixError(400, "M_BAD_ALIAS", `${alias} does not point to this room`);
      }
    }
  }

  /** Canonical JSON where it exists; room versions 1-5 allow floats in content, which it refuses. */
  function jsonText(value: unknown): string {
    try {
      return deps.engine.canonicalJson(value);
    } catch {
      return JSON.stringify(value);
    }
  }

  return {
    send(roomId, sender, type, content, txnId, ts) {
      if (NOT_SENDABLE.has(type)) throw new MatrixError(400, "M_INVALID_PARAM", `Use the redact endpoint to send ${type}`);
      // https://spec.matrix.org/v1.19/client-server-api/#account-suspension
      if (deps.moderation?.userSuspended(sender.userId)) throw suspended();
      return once(sender, txnId, ["send", roomId, type], content, async (transaction) =>
        (await appender.append({ roomId, type, sender: sender.userId, content, originServerTs: ts }, { transaction, check: deps.checkRelation?.(roomId, sender.userId, type, content) })).eventId,
      );
    },

    async setState(roomId, sender, type, stateKey, content, ts) {
      if (type === "m.room.canonical_alias") await checkCanonicalAlias(roomId, content);
      if (type === "m.room.member" && typeof content.membership !== "string") throw new MatrixError(400, "M_BAD_JSON", "membership is required");
      // Suspended users may still leave (spec: account suspension); nobody joins, knocks on or is invited to a blocked room.
      const leaving = type === "m.room.member" && stateKey === sender.userId && content.membership === "leave";
      if (!leaving && deps.moderation?.userSuspended(sender.userId)) throw suspended();
      if (type === "m.room.member" && ["join", "invite", "knock"].includes(content.membership as string) && deps.moderation?.roomBlocked(roomId)) {
        throw new MatrixError(403, "M_FORBIDDEN", "This room has been blocked on this server");
      }
      const head = await heads.get(roomId);
      // Setting the same content again is a no-op that answers with the current event (as Synapse does).
      const currentId = head?.state.get(keyOf(type, stateKey));
      const current = currentId ? await cache.one(currentId) : undefined;
      if (current && current.sender === sender.userId && !current.redactedBy && jsonText(current.pdu.content) === jsonText(content)) {
        return current.eventId;
      }
      // A guest's own join through PUT /state obeys the same rule as /join.
      const guestJoin = sender.isGuest && type === "m.room.member" && content.membership === "join";
      const check = guestJoin ? (h: RoomHead) => checkGuestMayJoin(h, cache) : undefined;
      return (await appender.append({ roomId, type, sender: sender.userId, content, stateKey, originServerTs: ts }, { check })).eventId;
    },

    redact(roomId, sender, eventId, txnId, reason) {
      const content: JsonObject = reason === undefined ? {} : { reason };
      return once(sender, txnId, ["redact", roomId, eventId], content, async (transaction) => {
        const rules = (await heads.get(roomId))?.rules;
        if (!rules) throw new MatrixError(404, "M_NOT_FOUND", "Unknown room");
        if (rules.redaction_rules_v11) content.redacts = eventId;
        const event = await appender.append(
          { roomId, type: "m.room.redaction", sender: sender.userId, content, redacts: rules.redaction_rules_v11 ? undefined : eventId },
          {
            transaction,
            // Client-side rule (the auth rules only check servers): others' events need the redact level.
            check: async (head) => {
              const target = await cache.one(eventId);
              if (!target || target.roomId !== roomId || target.rejectedReason) throw new MatrixError(404, "M_NOT_FOUND", "Event not found");
              if (target.sender === sender.userId) return;
              if (deps.moderation?.userSuspended(sender.userId)) throw suspended();
              if (!(await hasPower(head, cache, sender.userId, { action: "redact" }))) throw new MatrixError(403, "M_FORBIDDEN", "You may not redact other users' events");
            },
          },
        );
        return event.eventId;
      });
    },

    async getState(roomId, userId, type, stateKey) {
      const head = await heads.get(roomId);
      if (!head) throw new MatrixError(403, "M_FORBIDDEN", "You are not in the room");
      const state = await visibleState(head, userId);
      const id = state.get(keyOf(type, stateKey));
      const event = id ? await cache.one(id) : undefined;
      if (!event) throw new MatrixError(404, "M_NOT_FOUND", "No such state event");
      return event;
    },

    async getAllState(roomId, viewer) {
      const head = await heads.get(roomId);
      if (!head) throw new MatrixError(403, "M_FORBIDDEN", "You are not in the room");
      const state = await visibleState(head, viewer.userId);
      return deps.formatter.format(await cache.get([...state.values()]), viewer);
    },
  };
}

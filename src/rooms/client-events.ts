// Events as clients see them: the client event format, with redactions applied, prev_content
// of state events, the sender's transaction id and bundled aggregations.
// https://spec.matrix.org/v1.19/client-server-api/#room-event-format
// https://spec.matrix.org/v1.19/client-server-api/#redactions (served redacted with redacted_because)
import type { Engine } from "../engine/index.ts";
import type { JsonObject } from "../protocol/signed-json.ts";
import type { EventsRepo } from "../storage/repos/events.ts";
import type { EventCache, StoredEvent } from "./stored-event.ts";

export interface ClientEvent {
  content: JsonObject;
  event_id: string;
  origin_server_ts: number;
  room_id: string;
  sender: string;
  type: string;
  state_key?: string;
  redacts?: string;
  unsigned: JsonObject;
}

export interface Viewer {
  userId: string;
  deviceId: string | null;
}

/** Bundled aggregations by event id (filled by the relations module). */
export type Aggregations = (events: readonly StoredEvent[], viewer: Viewer) => Promise<Map<string, JsonObject>>;

export interface ClientEventFormatter {
  /** The events in client format, in the order given. */
  format(events: readonly StoredEvent[], viewer: Viewer, options?: { aggregations?: boolean }): Promise<ClientEvent[]>;
  /** Bundled aggregations, once the relations module exists (set at composition). */
  aggregations?: Aggregations;
}

export function createClientEventFormatter(deps: {
  engine: Engine;
  cache: EventCache;
  repo: Pick<EventsRepo, "room">;
  now: () => number;
}): ClientEventFormatter {
  // Promises, so a page of events from a room not seen yet asks for its version once.
  const versions = new Map<string, Promise<string>>();
  function versionOf(roomId: string): Promise<string> {
    let version = versions.get(roomId);
    if (!version) {
      version = deps.repo.room(roomId).then((room) => room?.roomVersion ?? "1");
      versions.set(roomId, version);
      version.catch(() => versions.delete(roomId));
    }
    return version;
  }

  const formatter: ClientEventFormatter = {
    async format(events, viewer, options = {}) {
      const related = new Set<string>();
      for (const e of events) {
        if (e.redactedBy) related.add(e.redactedBy);
        if (e.replacesState) related.add(e.replacesState);
      }
      const byId = new Map((await deps.cache.get([...related])).map((e) => [e.eventId, e]));
      const bundled = options.aggregations && formatter.aggregations ? await formatter.aggregations(events, viewer) : new Map<string, JsonObject>();
      const now = deps.now();

      const one = async (e: StoredEvent, nested: boolean): Promise<ClientEvent> => {
        const version = await versionOf(e.roomId);
        const redaction = e.redactedBy ? byId.get(e.redactedBy) : undefined;
        const pdu = redaction ? deps.engine.redact(version, e.pdu) : e.pdu;
        const unsigned: JsonObject = { age: Math.max(0, now - e.originServerTs) };
        const event: ClientEvent = {
          content: (pdu.content as JsonObject | undefined) ?? {},
          event_id: e.eventId,
          origin_server_ts: e.originServerTs,
          room_id: e.roomId,
          sender: e.sender,
          type: e.type,
          unsigned,
        };
        if (e.stateKey !== null) event.state_key = e.stateKey;
        // v11 moved redacts into content; older clients read the top-level key, so both are served.
        const redacts = typeof pdu.redacts === "string" ? pdu.redacts : (event.content.redacts as string | undefined);
        if (e.type === "m.room.redaction" && typeof redacts === "string") event.redacts = redacts;
        if (redaction && !nested) unsigned.redacted_because = await one(redaction, true);
        const previous = e.replacesState ? byId.get(e.replacesState) : undefined;
        if (previous) {
          unsigned.replaces_state = previous.eventId;
          unsigned.prev_sender = previous.sender;
          const prevPdu = previous.redactedBy ? deps.engine.redact(await versionOf(previous.roomId), previous.pdu) : previous.pdu;
          unsigned.prev_content = (prevPdu.content as JsonObject | undefined) ?? {};
        }
        // Only the device that sent it learns the txn id (https://spec.matrix.org/v1.19/client-server-api/#transaction-identifiers).
        if (e.txnId !== null && e.sender === viewer.userId && e.senderDevice === viewer.deviceId) unsigned.transaction_id = e.txnId;
        const relations = bundled.get(e.eventId);
        // A redacted event keeps its thread and references; an edit no longer applies to it.
        const { "m.replace": _replace, ...kept } = relations ?? {};
        const served = redaction ? kept : relations;
        if (served && Object.keys(served).length > 0) unsigned["m.relations"] = served;
        return event;
      };
      return Promise.all(events.map((e) => one(e, false)));
    },
  };
  return formatter;
}

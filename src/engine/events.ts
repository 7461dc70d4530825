// The event format through the Rust core (wasm/src/event_format/): validation per room
// version, content and reference hashes, event ids, v12 room ids, redaction, and the bytes
// signatures cover. Every call takes a batch, so a transaction's or a backfill's events cross
// the wasm boundary once. Signing and checking received events: ./event-signatures.ts.
// https://spec.matrix.org/v1.19/server-server-api/#signing-events
//
// Rooms before v6 may hold floats and integers beyond 2^53, hashed the way Synapse's Python
// writes them (wasm/src/event_format/canonical.rs). Events reach this facade as JavaScript
// values, so such numbers are only as exact as JSON.parse left them: `100.0` arrives as 100 and
// 2^63-1 rounded. Events of v6+ rooms are canonical JSON, which JavaScript reads exactly.
import type { JsonObject } from "../protocol/signed-json.ts";
import { toJsonText } from "./json-text.ts";
import type { RoomVersionRules } from "./room-versions.ts";
import { WasmOperationError, type Operation, type WasmCore } from "./wasm-module.ts";

export type { JsonObject } from "../protocol/signed-json.ts";

/** Why an event does not fit its room version's format (wasm/src/event_format/mod.rs). */
export type EventFormatIssue =
  /** The event is not a JSON object. */
  | { code: "not_an_object"; message: string }
  /** A float or an integer beyond 2^53 where canonical JSON is enforced (v6+). */
  | { code: "not_canonical"; message: string }
  /** More than 65,536 bytes as canonical JSON, signatures and unsigned included. */
  | { code: "too_large"; message: string; bytes: number; limit: number }
  | { code: "missing_key"; message: string; key: string }
  /** `key` is a path such as `prev_events[2][1].sha256`. */
  | { code: "wrong_type"; message: string; key: string }
  /** sender, room_id, state_key, type, event_id (or a reference) over 255 bytes. */
  | { code: "too_long"; message: string; key: string; bytes: number; limit: number }
  /** More than 20 prev_events or 10 auth_events. */
  | { code: "too_many_references"; message: string; key: string; count: number; limit: number }
  /** A user, room or event id that does not follow the version's grammar. */
  | { code: "bad_identifier"; message: string; key: string };

/** An event of a batch could not be hashed, redacted or prepared. */
export class EventFormatError extends Error {
  override name = "EventFormatError";
  constructor(
    readonly issue: EventFormatIssue,
    /** The event's position in the batch. */
    readonly index: number,
  ) {
    super(`event ${index}: ${issue.message}`);
  }
}

export class UnknownRoomVersionError extends Error {
  override name = "UnknownRoomVersionError";
  constructor(readonly roomVersion: string) {
    super(`unknown room version ${JSON.stringify(roomVersion)}`);
  }
}

export interface EventHashes {
  /** Carried in the event (v1, v2), else `$` + the reference hash (Base64 in v3, URL-safe from v4). */
  eventId: string;
  /** The event's `room_id`; for a v12 create event, its id with `!` (MSC4291). Null if none. */
  roomId: string | null;
  /** SHA-256 over the event without unsigned, signatures and hashes: unpadded Base64. */
  contentHash: string;
  /** SHA-256 over the redacted event without signatures and unsigned: unpadded Base64. */
  referenceHash: string;
}

/** The event format operations of the Engine facade. */
export interface EventFormat {
  /** The first problem with each event's format, or null when it is valid (checks on receipt, step 1). */
  validateEvents(roomVersion: string, events: readonly unknown[]): (EventFormatIssue | null)[];
  validateEvent(roomVersion: string, event: unknown): EventFormatIssue | null;
  /** Ids, room ids and hashes; throws EventFormatError naming the first event that cannot be hashed. */
  eventHashes(roomVersion: string, events: readonly JsonObject[]): EventHashes[];
  eventIds(roomVersion: string, events: readonly JsonObject[]): string[];
  eventId(roomVersion: string, event: JsonObject): string;
  /** The content hash to put in `hashes.sha256`, unpadded Base64. */
  contentHash(roomVersion: string, event: JsonObject): string;
  /** The redaction algorithm of the version (unsigned is stripped too, as the algorithm says). */
  redactEvents(roomVersion: string, events: readonly JsonObject[]): JsonObject[];
  redact(roomVersion: string, event: JsonObject): JsonObject;
  /** What signatures cover: the redacted event without signatures and unsigned, as canonical JSON. */
  signingBytes(roomVersion: string, event: JsonObject): Uint8Array;
}

const utf8 = { encode: new TextEncoder(), decode: new TextDecoder() };

type Entry<T> = { ok: T } | { error: EventFormatIssue };

/** Runs a batch operation of wasm/src/event_format/ops.rs: one entry per event, in order. */
export function runBatch<T>(
  core: WasmCore,
  roomVersions: ReadonlyMap<string, RoomVersionRules>,
  operation: Operation,
  roomVersion: string,
  events: readonly unknown[],
  options = "",
): Entry<T>[] {
  if (!roomVersions.has(roomVersion)) throw new UnknownRoomVersionError(roomVersion);
  // The room version is a known id: no escaping needed. toJsonText refuses what is not JSON.
  const input = `{"room_version":"${roomVersion}"${options},"events":${toJsonText(events)}}`;
  let output: Uint8Array;
  try {
    output = core.call(operation, utf8.encode.encode(input));
  } catch (error) {
    // The batch itself was refused: only a bug here can cause that (the input is built above).
    if (error instanceof WasmOperationError) throw new Error(`${operation}: ${error.message}`, { cause: error });
    throw error;
  }
  const entries = JSON.parse(utf8.decode.decode(output)) as Entry<T>[];
  if (entries.length !== events.length) throw new Error(`${operation}: ${entries.length} answers for ${events.length} events`);
  return entries;
}

/** The values of a batch's entries; throws EventFormatError for the first failed one. */
export function values<T>(entries: Entry<T>[]): T[] {
  return entries.map((entry, index) => {
    if ("error" in entry) throw new EventFormatError(entry.error, index);
    return entry.ok;
  });
}

interface RawHashes {
  event_id: string;
  room_id: string | null;
  content_hash: string;
  reference_hash: string;
  signing_bytes?: string;
}

const only = <T>(list: T[]): T => list[0] as T;

export function createEventFormat(core: WasmCore, roomVersions: ReadonlyMap<string, RoomVersionRules>): EventFormat {
  const hashes = (roomVersion: string, events: readonly JsonObject[], options = "") =>
    values(runBatch<RawHashes>(core, roomVersions, "event_hashes", roomVersion, events, options));

  const format: EventFormat = {
    validateEvents: (roomVersion, events) =>
      runBatch<null>(core, roomVersions, "event_validate", roomVersion, events).map((entry) => ("error" in entry ? entry.error : null)),
    validateEvent: (roomVersion, event) => only(format.validateEvents(roomVersion, [event])),
    eventHashes: (roomVersion, events) =>
      hashes(roomVersion, events).map((h) => ({
        eventId: h.event_id,
        roomId: h.room_id,
        contentHash: h.content_hash,
        referenceHash: h.reference_hash,
      })),
    eventIds: (roomVersion, events) => hashes(roomVersion, events).map((h) => h.event_id),
    eventId: (roomVersion, event) => only(hashes(roomVersion, [event])).event_id,
    contentHash: (roomVersion, event) => only(hashes(roomVersion, [event])).content_hash,
    redactEvents: (roomVersion, events) => values(runBatch<JsonObject>(core, roomVersions, "event_redact", roomVersion, events)),
    redact: (roomVersion, event) => only(format.redactEvents(roomVersion, [event])),
    signingBytes: (roomVersion, event) =>
      utf8.encode.encode(only(hashes(roomVersion, [event], ',"signing_bytes":true')).signing_bytes ?? ""),
  };
  return format;
}

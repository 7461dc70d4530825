// Signing events this server builds, and checking the events it receives, with the hashing
// and redaction of the Rust core and Ed25519 in TypeScript (src/protocol/ed25519.ts).
// https://spec.matrix.org/v1.19/server-server-api/#signing-events
// https://spec.matrix.org/v1.19/server-server-api/#validating-hashes-and-signatures-on-received-events
import { decodeBase64, encodeBase64 } from "../protocol/base64.ts";
import { nativeEd25519, type Ed25519 } from "../protocol/ed25519.ts";
import type { JsonObject, Signatures, SigningKey } from "../protocol/signed-json.ts";
import { runBatch, values, type EventFormatIssue } from "./events.ts";
import type { RoomVersionRules } from "./room-versions.ts";
import type { WasmCore } from "./wasm-module.ts";

/** Signs bytes with this server's key; the engine never sees the key. */
export interface EventSigner {
  /** The server name signatures are filed under. */
  serverName: string;
  /** e.g. "ed25519:a_AbCd" */
  keyId: string;
  /** The raw 64-byte Ed25519 signature of `bytes`. */
  sign(bytes: Uint8Array): Uint8Array;
}

/** An EventSigner over a seed and an Ed25519 implementation. */
export function ed25519Signer(serverName: string, key: SigningKey, ed25519: Ed25519 = nativeEd25519): EventSigner {
  return { serverName, keyId: key.keyId, sign: (bytes) => ed25519.sign(key.seed, bytes) };
}

export interface SignedEvent {
  /** The event with `hashes.sha256` set and this server's signature added. */
  event: JsonObject;
  eventId: string;
  /** The event's room; for a v12 create event, the room id it makes. */
  roomId: string | null;
}

/** A server's public key as key fetching found it. */
export interface VerifyKey {
  key: Uint8Array;
  /** From /_matrix/key/v2: enforced from room version 5 (the key must be valid at origin_server_ts). */
  validUntilTs?: number;
  /** For old_verify_keys: a key expired before the event's origin_server_ts is ignored. */
  expiredTs?: number;
}

/** Known public keys: server name -> key id -> key, or a synchronous lookup. */
export type PublicKeys =
  | ReadonlyMap<string, ReadonlyMap<string, Uint8Array | VerifyKey>>
  | ((server: string, keyId: string) => Uint8Array | VerifyKey | undefined);

export interface SignatureFailure {
  server: string;
  /**
   * unsigned: no ed25519 signature from the server; no_known_key: none of its signing keys is
   * known and valid at origin_server_ts; malformed: a signature is not Base64 of 64 bytes;
   * bad_signature: a signature does not verify.
   */
  problem: "unsigned" | "no_known_key" | "malformed" | "bad_signature";
  keyId?: string;
}

export type InvalidEventReason =
  | { code: "format"; issue: EventFormatIssue }
  | { code: "signature"; failure: SignatureFailure };

/** What the checks on receipt (steps 1 to 3) say about an event. */
export type ReceivedEventOutcome =
  | {
      kind: "valid";
      eventId: string;
      roomId: string | null;
      /** Servers whose signatures verified: the required ones, plus a restricted join's authoriser if signed. */
      signedBy: readonly string[];
    }
  | {
      /** Signatures are fine but the content hash is not: keep and process `redacted` instead. */
      kind: "redact";
      reason: "content_hash_mismatch";
      eventId: string;
      roomId: string | null;
      signedBy: readonly string[];
      redacted: JsonObject;
    }
  | { kind: "invalid"; reason: InvalidEventReason };

export interface CheckOptions {
  /** The Ed25519 implementation; Bun's native one by default. */
  ed25519?: Ed25519;
}

/** Signing and checking events: part of the Engine facade. */
export interface EventSignatures {
  /** Adds the content hash, signs with `signer` and computes the id (v1/v2 events bring their own `event_id`). */
  signEvents(roomVersion: string, events: readonly JsonObject[], signer: EventSigner): SignedEvent[];
  signEvent(roomVersion: string, event: JsonObject, signer: EventSigner): SignedEvent;
  /** Format, signatures, content hash of received events, in one crossing of the wasm boundary. */
  checkReceivedEvents(roomVersion: string, events: readonly unknown[], keys: PublicKeys, options?: CheckOptions): ReceivedEventOutcome[];
  checkReceivedEvent(roomVersion: string, event: unknown, keys: PublicKeys, options?: CheckOptions): ReceivedEventOutcome;
}

interface Prepared {
  hashes: JsonObject;
  signing_bytes: string;
  event_id: string;
  room_id: string | null;
}

interface Inspected {
  event_id: string;
  room_id: string | null;
  signing_bytes: string;
  required_servers: string[];
  optional_servers: string[];
  content_hash_ok: boolean;
  redacted?: JsonObject;
}

const utf8 = new TextEncoder();
const ED25519 = "ed25519:";

function lookup(keys: PublicKeys, server: string, keyId: string): VerifyKey | undefined {
  const found = typeof keys === "function" ? keys(server, keyId) : keys.get(server)?.get(keyId);
  return found instanceof Uint8Array ? { key: found } : found;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/**
 * Checking for a signature (https://spec.matrix.org/v1.19/appendices/#checking-for-a-signature):
 * the server's ed25519 signatures whose keys are known and valid at `ts` must all verify, and
 * there must be at least one.
 */
function checkServer(
  event: JsonObject,
  server: string,
  bytes: Uint8Array,
  ts: number,
  rules: RoomVersionRules,
  keys: PublicKeys,
  ed25519: Ed25519,
): SignatureFailure | null {
  const byServer = isObject(event.signatures) ? event.signatures[server] : undefined;
  const keyIds = isObject(byServer) ? Object.keys(byServer).filter((keyId) => keyId.startsWith(ED25519)) : [];
  if (!isObject(byServer) || keyIds.length === 0) return { server, problem: "unsigned" };
  let checked = 0;
  for (const keyId of keyIds) {
    const key = lookup(keys, server, keyId);
    if (!key) continue;
    if (key.expiredTs !== undefined && key.expiredTs < ts) continue;
    if (rules.enforce_key_validity && key.validUntilTs !== undefined && key.validUntilTs < ts) continue;
    const encoded = byServer[keyId];
    const signature = typeof encoded === "string" ? decodeBase64(encoded) : null;
    if (!signature || signature.length !== 64) return { server, problem: "malformed", keyId };
    if (!ed25519.verify(key.key, bytes, signature)) return { server, problem: "bad_signature", keyId };
    checked++;
  }
  return checked > 0 ? null : { server, problem: "no_known_key" };
}

export function createEventSignatures(core: WasmCore, roomVersions: ReadonlyMap<string, RoomVersionRules>): EventSignatures {
  const signatures: EventSignatures = {
    signEvents(roomVersion, events, signer) {
      const prepared = values(runBatch<Prepared>(core, roomVersions, "event_prepare", roomVersion, events));
      return prepared.map((p, i) => {
        const event = events[i] as JsonObject;
        const signature = encodeBase64(signer.sign(utf8.encode(p.signing_bytes)));
        const existing = (isObject(event.signatures) ? event.signatures : {}) as Signatures;
        const mine = { ...existing[signer.serverName], [signer.keyId]: signature };
        return {
          event: { ...event, hashes: p.hashes, signatures: { ...existing, [signer.serverName]: mine } },
          eventId: p.event_id,
          roomId: p.room_id,
        };
      });
    },
    signEvent: (roomVersion, event, signer) => signatures.signEvents(roomVersion, [event], signer)[0] as SignedEvent,

    checkReceivedEvents(roomVersion, events, keys, options = {}) {
      const ed25519 = options.ed25519 ?? nativeEd25519;
      const rules = roomVersions.get(roomVersion);
      const entries = runBatch<Inspected>(core, roomVersions, "event_inspect", roomVersion, events);
      return entries.map((entry, i): ReceivedEventOutcome => {
        if ("error" in entry) return { kind: "invalid", reason: { code: "format", issue: entry.error } };
        const inspected = entry.ok;
        const event = events[i] as JsonObject; // validated: an object with an integer origin_server_ts
        const bytes = utf8.encode(inspected.signing_bytes);
        const ts = event.origin_server_ts as number;
        for (const server of inspected.required_servers) {
          const failure = checkServer(event, server, bytes, ts, rules!, keys, ed25519);
          if (failure) return { kind: "invalid", reason: { code: "signature", failure } };
        }
        const signedBy = [
          ...inspected.required_servers,
          ...inspected.optional_servers.filter((server) => checkServer(event, server, bytes, ts, rules!, keys, ed25519) === null),
        ];
        const ids = { eventId: inspected.event_id, roomId: inspected.room_id, signedBy };
        if (inspected.content_hash_ok) return { kind: "valid", ...ids };
        return { kind: "redact", reason: "content_hash_mismatch", ...ids, redacted: inspected.redacted ?? {} };
      });
    },
    checkReceivedEvent: (roomVersion, event, keys, options) =>
      signatures.checkReceivedEvents(roomVersion, [event], keys, options)[0] as ReceivedEventOutcome,
  };
  return signatures;
}

// Event hashing through the engine facade (src/engine/events.ts), boundary cost included:
// content hash + reference hash + event id per event (`eventHashes`), on realistic federation
// PDUs (550-650 bytes: short messages, member events), in the batch sizes the server uses: one event
// (sending), 50 (a federation transaction's PDU limit), 1,000 (backfill, state snapshots).
// Also the full check of received events (format, content hash, one Ed25519 verify each) and
// signing new events.
import { loadEngine, type Engine } from "../../src/engine/index.ts";
import { encodeBase64, encodeBase64Url } from "../../src/protocol/base64.ts";
import { nativeEd25519 } from "../../src/protocol/ed25519.ts";
import type { JsonObject } from "../../src/protocol/signed-json.ts";

export const name = "engine-events";

const ROOM_VERSION = "11";
const WORDS = ["matrix", "federation", "the", "a", "room", "event", "hello", "bridge", "server", "lunch", "tomorrow", "ok"];

function id(seed: number): string {
  const bytes = new Uint8Array(32);
  for (let i = 0; i < 32; i++) bytes[i] = (seed * 31 + i * 17) & 255;
  return `$${encodeBase64Url(bytes)}`;
}

function signature(seed: number): string {
  const bytes = new Uint8Array(64);
  for (let i = 0; i < 64; i++) bytes[i] = (seed + i * 7) & 255;
  return encodeBase64(bytes);
}

/** A PDU as it arrives over federation (v11: ids as hashes), a state event every eighth. */
export function pdu(i: number): JsonObject {
  const base = {
    auth_events: [id(1), id(2), id(3 + (i % 5))],
    depth: 1000 + i,
    hashes: { sha256: encodeBase64(new Uint8Array(32).fill(i & 255)) },
    origin_server_ts: 1_730_000_000_000 + i * 1000,
    prev_events: [id(i + 100)],
    room_id: "!OGEhHVWSdvArJzumhm:matrix.org",
    sender: `@user${i % 40}:example.org`,
    signatures: { "example.org": { "ed25519:a_AbCd": signature(i) } },
    unsigned: { age_ts: 1_730_000_000_000 + i * 1000 },
  };
  if (i % 8 === 7) {
    return {
      ...base,
      type: "m.room.member",
      state_key: `@user${i % 40}:example.org`,
      content: { membership: "join", displayname: `User ${i % 40}` },
    };
  }
  const body = Array.from({ length: 4 + (i % 9) }, (_, w) => WORDS[(i + w * 7) % WORDS.length]).join(" ");
  return { ...base, type: "m.room.message", content: { msgtype: "m.text", body, "m.mentions": {} } };
}

interface Rate {
  batchSize: number;
  eventsPerSecond: number;
  microsecondsPerEvent: number;
}

function measure(seconds: number, batchSize: number, events: JsonObject[], run: (batch: JsonObject[]) => void): Rate {
  const batches: JsonObject[][] = [];
  for (let start = 0; start + batchSize <= events.length; start += batchSize) batches.push(events.slice(start, start + batchSize));
  const warmUntil = performance.now() + 300;
  for (let n = 0; performance.now() < warmUntil; n++) run(batches[n % batches.length]!);
  let processed = 0;
  const start = performance.now();
  const until = start + seconds * 1000;
  for (let n = 0; performance.now() < until; n++) {
    run(batches[n % batches.length]!);
    processed += batchSize;
  }
  const elapsed = (performance.now() - start) / 1000;
  return {
    batchSize,
    eventsPerSecond: Math.round(processed / elapsed),
    microsecondsPerEvent: Number(((elapsed * 1e6) / processed).toFixed(2)),
  };
}

export async function run({ seconds }: { seconds: number }): Promise<Record<string, unknown>> {
  const engine: Engine = await loadEngine();
  const events = Array.from({ length: 2000 }, (_, i) => pdu(i));
  const sizes = events.map((event) => engine.canonicalJsonBytes(event).length);
  const share = Math.max(seconds / 5, 0.5);

  const hashing = [1, 50, 1000].map((size) => measure(share, size, events, (batch) => engine.eventHashes(ROOM_VERSION, batch)));

  // Received events: format, content hash and signature (native Ed25519), valid signatures.
  const seed = new Uint8Array(32).fill(9);
  const publicKey = nativeEd25519.publicKey(seed);
  const signer = { serverName: "example.org", keyId: "ed25519:a_AbCd", sign: (bytes: Uint8Array) => nativeEd25519.sign(seed, bytes) };
  const signed = engine.signEvents(ROOM_VERSION, events.slice(0, 1000), signer).map((s) => s.event);
  const keys = new Map([["example.org", new Map([["ed25519:a_AbCd", publicKey]])]]);
  const outcomes = engine.checkReceivedEvents(ROOM_VERSION, signed.slice(0, 50), keys);
  if (!outcomes.every((o) => o.kind === "valid")) throw new Error(`engine-events: ${JSON.stringify(outcomes[0])}`);
  const received = measure(share, 50, signed, (batch) => engine.checkReceivedEvents(ROOM_VERSION, batch, keys));
  const signing = measure(share / 2, 50, events, (batch) => engine.signEvents(ROOM_VERSION, batch, signer));

  return {
    roomVersion: ROOM_VERSION,
    eventBytes: { min: Math.min(...sizes), mean: Math.round(sizes.reduce((a, b) => a + b, 0) / sizes.length), max: Math.max(...sizes) },
    eventHashes: hashing,
    checkReceivedEvents: { ...received, note: "format + content hash + 1 native Ed25519 verify per event" },
    signEvents: { ...signing, note: "content hash + id + 1 native Ed25519 signature per event" },
    target: "at least 50,000 events/s for hashing and id (issue 3)",
  };
}

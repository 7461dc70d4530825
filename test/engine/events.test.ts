// The event format through the engine facade (src/engine/events.ts): the golden cases shared
// with cargo test (wasm/tests/fixtures/events.json, computed by an independent implementation),
// properties over generated events, and a panic in the module reported and survived.
import { beforeAll, describe, expect, test } from "bun:test";
import fixture from "../../wasm/tests/fixtures/events.json";
import {
  createEngine,
  EventFormatError,
  loadEngine,
  UnknownRoomVersionError,
  type Engine,
  type EventFormatIssue,
} from "../../src/engine/index.ts";
import { loadWasmCore, WasmPanicError, type Operation } from "../../src/engine/wasm-module.ts";
import type { JsonObject } from "../../src/protocol/signed-json.ts";
import { JsonGenerator, seededRandom } from "./random-json.ts";

let engine: Engine;
beforeAll(async () => {
  engine = await loadEngine();
});

interface Case {
  name: string;
  room_version: string;
  event: JsonObject;
  valid: true | { code: string; key?: string };
  js_exact?: boolean;
  expected?: {
    event_id: string;
    room_id: string | null;
    content_hash: string;
    reference_hash: string;
    signing_bytes: string;
    redacted: JsonObject;
  };
}

const cases = (fixture.cases as unknown as Case[]).filter((c) => c.js_exact !== false);
const withExpected = cases.filter((c) => c.expected);
const utf8 = new TextDecoder();

describe("fixture cases (shared with cargo test)", () => {
  test("the fixture covers every room version, valid and invalid events", () => {
    expect(new Set(withExpected.map((c) => c.room_version)).size).toBe(12);
    expect(cases.filter((c) => c.valid !== true).length).toBeGreaterThan(50);
    expect((fixture.cases as unknown as Case[]).length - cases.length).toBeGreaterThan(0); // some are Rust-only
  });

  test.each(cases)("validate: $name", ({ room_version, event, valid }) => {
    const issue = engine.validateEvent(room_version, event);
    if (valid === true) expect(issue).toBeNull();
    else expect(issue).toMatchObject(valid);
  });

  test.each(withExpected)("hashes, id, redaction, signing bytes: $name", ({ room_version, event, expected }) => {
    const [hashes] = engine.eventHashes(room_version, [event]);
    expect(hashes).toEqual({
      eventId: expected!.event_id,
      roomId: expected!.room_id,
      contentHash: expected!.content_hash,
      referenceHash: expected!.reference_hash,
    });
    expect(engine.eventId(room_version, event)).toBe(expected!.event_id);
    expect(engine.contentHash(room_version, event)).toBe(expected!.content_hash);
    expect(engine.redact(room_version, event)).toEqual(expected!.redacted);
    expect(utf8.decode(engine.signingBytes(room_version, event))).toBe(expected!.signing_bytes);
  });

  test("the events that cannot be hashed fail with the event's index", () => {
    const failing = cases.filter((c) => !c.expected);
    expect(failing.length).toBeGreaterThan(5);
    for (const { room_version, event, name } of failing) {
      const good = withExpected.find((c) => c.room_version === room_version)!.event;
      let thrown: unknown;
      try {
        engine.eventIds(room_version, [good, event]);
      } catch (error) {
        thrown = error;
      }
      expect(thrown, name).toBeInstanceOf(EventFormatError);
      expect((thrown as EventFormatError).index).toBe(1);
    }
  });

  test("one batch per version gives the same answers as one event at a time", () => {
    for (const version of new Set(withExpected.map((c) => c.room_version))) {
      const mine = withExpected.filter((c) => c.room_version === version);
      expect(engine.eventIds(version, mine.map((c) => c.event))).toEqual(mine.map((c) => c.expected!.event_id));
      expect(engine.redactEvents(version, mine.map((c) => c.event))).toEqual(mine.map((c) => c.expected!.redacted));
      const issues = engine.validateEvents(version, mine.map((c) => c.event));
      const codes: (string | true)[] = issues.map((i) => i?.code ?? true);
      expect(codes).toEqual(mine.map((c) => (c.valid === true ? true : c.valid.code)));
    }
  });
});

describe("ids and room ids", () => {
  test("v12: the room id is the create event's id with !, and its events validate against it", () => {
    const create = withExpected.find((c) => c.room_version === "12" && c.event.type === "m.room.create")!.event;
    const [hashes] = engine.eventHashes("12", [create]);
    expect(hashes!.roomId).toBe(`!${hashes!.eventId.slice(1)}`);
    expect(hashes!.roomId).toMatch(/^![A-Za-z0-9_-]{43}$/);
    const message = { ...withExpected.find((c) => c.room_version === "12" && c.event.type === "m.room.message")!.event };
    expect(engine.validateEvent("12", { ...message, room_id: hashes!.roomId })).toBeNull();
    expect(engine.validateEvent("12", { ...message, room_id: "!r:example.org" })).toMatchObject({ code: "bad_identifier", key: "room_id" });
  });

  test("event id alphabets: v3 standard Base64, v4+ URL-safe", () => {
    const base = withExpected.find((c) => c.room_version === "3" && c.event.type === "m.room.message")!.event;
    const ids = Array.from({ length: 200 }, (_, i) => engine.eventId("3", { ...base, depth: i }));
    expect(ids.some((id) => /[+/]/.test(id))).toBe(true);
    expect(ids.every((id) => /^\$[A-Za-z0-9+/]{43}$/.test(id))).toBe(true);
    const v4 = Array.from({ length: 200 }, (_, i) => engine.eventId("4", { ...base, depth: i }));
    expect(v4.every((id) => /^\$[A-Za-z0-9_-]{43}$/.test(id))).toBe(true);
    // Same reference hash, two alphabets.
    expect(v4.map((id) => id.replaceAll("-", "+").replaceAll("_", "/"))).toEqual(ids);
  });

  test("an unknown room version is refused before the module is called", () => {
    expect(() => engine.eventIds("13", [])).toThrow(UnknownRoomVersionError);
    expect(() => engine.validateEvents('1","x', [])).toThrow(UnknownRoomVersionError);
    expect(engine.eventIds("11", [])).toEqual([]);
  });
});

/** A random event, with the keys and types redaction cares about, for `seed`. */
function randomEvent(seed: number): JsonObject {
  const random = seededRandom(seed);
  const generator = new JsonGenerator(seed);
  const pick = <T>(items: readonly T[]) => items[Math.floor(random() * items.length)] as T;
  const types = ["m.room.member", "m.room.create", "m.room.join_rules", "m.room.power_levels", "m.room.aliases",
    "m.room.history_visibility", "m.room.redaction", "m.room.message", "m.room.topic"];
  const contentKeys = ["membership", "join_authorised_via_users_server", "third_party_invite", "creator", "additional_creators",
    "join_rule", "allow", "ban", "events", "invite", "users", "notifications", "aliases", "history_visibility", "redacts", "body"];
  const content: JsonObject = {};
  for (let n = Math.floor(random() * 8); n > 0; n--) {
    const key = pick(contentKeys);
    content[key] = key === "third_party_invite" && random() < 0.7 ? { signed: generator.value(2), display_name: "d" } : generator.value(2);
  }
  const event: JsonObject = {
    type: pick(types),
    sender: "@a:example.org",
    room_id: "!r:example.org",
    event_id: "$e:example.org",
    content,
    depth: Math.floor(random() * 100),
    origin_server_ts: 5,
    prev_events: ["$p"],
    auth_events: [],
    hashes: { sha256: "h" },
    signatures: { "example.org": { "ed25519:1": "s" } },
  };
  for (const key of ["origin", "membership", "prev_state", "unsigned", "redacts", "state_key", "extra"]) {
    if (random() < 0.3) event[key] = generator.value(2);
  }
  return event;
}

/** The same value with every object's keys inserted in a shuffled order. */
function reordered(value: unknown, random: () => number): unknown {
  if (Array.isArray(value)) return value.map((item) => reordered(item, random));
  if (value === null || typeof value !== "object") return value;
  const entries = Object.entries(value);
  for (let i = entries.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [entries[i], entries[j]] = [entries[j]!, entries[i]!];
  }
  return Object.fromEntries(entries.map(([key, item]) => [key, reordered(item, random)]));
}

describe("properties over generated events", () => {
  const versions = [...Array.from({ length: 12 }, (_, i) => String(i + 1))];

  test("redaction is idempotent, and a redacted event keeps its id", () => {
    for (const version of versions) {
      const events = Array.from({ length: 200 }, (_, i) => randomEvent(i * 13 + Number(version)));
      const once = engine.redactEvents(version, events);
      expect(engine.redactEvents(version, once)).toEqual(once);
      expect(engine.eventIds(version, once)).toEqual(engine.eventIds(version, events));
      expect(once.filter((e, i) => JSON.stringify(e) !== JSON.stringify(events[i])).length).toBeGreaterThan(150);
    }
  });

  test("ids and hashes do not depend on key order, unsigned or other servers' signatures", () => {
    for (const version of versions) {
      const events = Array.from({ length: 200 }, (_, i) => randomEvent(i * 7 + 1000 * Number(version)));
      const random = seededRandom(Number(version));
      const shuffled = events.map((event) => reordered(event, random) as JsonObject);
      expect(shuffled.some((event, i) => JSON.stringify(event) !== JSON.stringify(events[i]))).toBe(true);
      expect(engine.eventHashes(version, shuffled)).toEqual(engine.eventHashes(version, events));
      const decorated = events.map((event, i) => ({
        ...event,
        unsigned: { age: i },
        signatures: { ...(event.signatures as object), "other.org": { "ed25519:x": "sig" } },
      }));
      expect(engine.eventHashes(version, decorated)).toEqual(engine.eventHashes(version, events));
    }
  });
});

describe("errors from the module", () => {
  test("an issue names the problem in a typed way", () => {
    const issue = engine.validateEvent("11", { type: "m.room.message" }) as EventFormatIssue;
    expect(issue).toEqual({ code: "missing_key", key: "sender", message: "`sender` is missing" });
    const tooLong = engine.validateEvent("11", { ...withExpected.find((c) => c.room_version === "11")!.event, type: "t".repeat(300) });
    expect(tooLong).toMatchObject({ code: "too_long", key: "type", bytes: 300, limit: 255 });
    expect(engine.validateEvent("11", [])).toMatchObject({ code: "not_an_object" });
  });

  test("a panic in Rust is reported with its message, and the module stays usable", async () => {
    const core = await loadWasmCore();
    const panicking = createEngine(core);
    const selftest = "myelin_selftest_panic" as Operation; // not an Operation: tests only
    const bytes = (text: string) => new TextEncoder().encode(text);
    expect(utf8.decode(core.call(selftest, bytes("fine")))).toBe("ok");
    let thrown: unknown;
    try {
      core.call(selftest, bytes("panic"));
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(WasmPanicError);
    expect((thrown as Error).message).toContain("index out of bounds");
    expect((thrown as Error).message).toContain("src/panic_report.rs");
    expect((thrown as Error).cause).toBeInstanceOf(WebAssembly.RuntimeError);
    // A fresh instance took over: operations work, and the old message is gone.
    const event = withExpected.find((c) => c.room_version === "11")!;
    expect(panicking.eventId("11", event.event)).toBe(event.expected!.event_id);
    expect(utf8.decode(core.call(selftest, bytes("fine")))).toBe("ok");
    for (let round = 0; round < 3; round++) expect(() => core.call(selftest, bytes("panic"))).toThrow(WasmPanicError);
    expect(panicking.canonicalJson({ b: 1, a: 2 })).toBe('{"a":2,"b":1}');
  });
});

// Signing events and checking received ones through the engine facade
// (src/engine/event-signatures.ts), with both Ed25519 implementations: the spec's event signing
// test vectors exactly, then each outcome of the checks on receipt (valid, redact, invalid).
import { beforeAll, describe, expect, test } from "bun:test";
import {
  ed25519Signer,
  EventFormatError,
  loadEngine,
  type Engine,
  type EventSigner,
  type PublicKeys,
  type ReceivedEventOutcome,
} from "../../src/engine/index.ts";
import { decodeBase64 } from "../../src/protocol/base64.ts";
import { nativeEd25519, nobleEd25519, type Ed25519 } from "../../src/protocol/ed25519.ts";
import type { JsonObject } from "../../src/protocol/signed-json.ts";

let engine: Engine;
beforeAll(async () => {
  engine = await loadEngine();
});

// https://spec.matrix.org/v1.19/appendices/#cryptographic-test-vectors
const SEED = decodeBase64("YJDBA9Xnr2sVqXD9Vj7XVUnmFZcZrlw8Md7kMW+3XA1")!;
const KEY = { keyId: "ed25519:1", seed: SEED };

const minimal = () => ({
  room_id: "!x:domain",
  sender: "@a:domain",
  origin: "domain",
  origin_server_ts: 1000000,
  signatures: {},
  hashes: {},
  type: "X",
  content: {},
  prev_events: [],
  auth_events: [],
  depth: 3,
  unsigned: { age_ts: 1000000 },
});
const minimalSigned = {
  auth_events: [],
  content: {},
  depth: 3,
  hashes: { sha256: "5jM4wQpv6lnBo7CLIghJuHdW+s2CMBJPUOGOC89ncos" },
  origin: "domain",
  origin_server_ts: 1000000,
  prev_events: [],
  room_id: "!x:domain",
  sender: "@a:domain",
  signatures: { domain: { "ed25519:1": "KxwGjPSDEtvnFgU00fwFz+l6d2pJM6XBIaMEn81SXPTRl16AqLAYqfIReFGZlHi5KLjAWbOoMszkwsQma+lYAg" } },
  type: "X",
  unsigned: { age_ts: 1000000 },
};
const message = () => ({
  content: { body: "Here is the message content" },
  event_id: "$0:domain",
  origin: "domain",
  origin_server_ts: 1000000,
  type: "m.room.message",
  room_id: "!r:domain",
  sender: "@u:domain",
  signatures: {},
  unsigned: { age_ts: 1000000 },
});
const messageSigned = {
  content: { body: "Here is the message content" },
  event_id: "$0:domain",
  hashes: { sha256: "onLKD1bGljeBWQhWZ1kaP9SorVmRQNdN5aM2JYU2n/g" },
  origin: "domain",
  origin_server_ts: 1000000,
  type: "m.room.message",
  room_id: "!r:domain",
  sender: "@u:domain",
  signatures: { domain: { "ed25519:1": "Wm+VzmOUOz08Ds+0NTWb1d4CZrVsJSikkeRxh6aCcUwu6pNC78FunoD7KNWzqFn241eYHYMGCA5McEiVPdhzBA" } },
  unsigned: { age_ts: 1000000 },
};

const implementations: [string, Ed25519][] = [
  ["native", nativeEd25519],
  ["noble", nobleEd25519],
];
// The vectors keep `origin`, which redaction covers before v11 only.
const BEFORE_V11 = ["1", "2", "3", "4", "5", "6", "7", "8", "9", "10"];

describe.each(implementations)("the spec's event signing vectors (%s Ed25519)", (_, ed25519) => {
  const signer = () => ed25519Signer("domain", KEY, ed25519);

  test("the minimal event, in every version whose redaction keeps origin and whose ids need no event_id", () => {
    for (const version of BEFORE_V11.slice(2)) {
      const signed = engine.signEvent(version, minimal(), signer());
      expect(signed.event).toEqual(minimalSigned);
      expect(Object.keys(signed.event).sort()).toEqual(Object.keys(minimalSigned).sort());
      expect(signed.roomId).toBe("!x:domain");
      expect(signed.eventId).toMatch(version === "3" ? /^\$[A-Za-z0-9+/]{43}$/ : /^\$[A-Za-z0-9_-]{43}$/);
    }
    // v1 and v2 ids are chosen by the sender: without one the event cannot be finished.
    expect(() => engine.signEvent("1", minimal(), signer())).toThrow(EventFormatError);
  });

  test("the event with redactable content", () => {
    for (const version of BEFORE_V11) {
      const signed = engine.signEvent(version, message(), signer());
      expect(signed.event).toEqual(messageSigned);
      if (version === "1" || version === "2") expect(signed.eventId).toBe("$0:domain");
    }
  });

  test("from v11 origin is no longer signed, so the signature differs and still verifies", () => {
    const signed = engine.signEvent("11", minimal(), signer());
    expect(signed.event.hashes).toEqual(minimalSigned.hashes);
    expect(signed.event.signatures).not.toEqual(minimalSigned.signatures);
    const keys = new Map([["domain", new Map([["ed25519:1", ed25519.publicKey(SEED)]])]]);
    expect(engine.checkReceivedEvent("11", signed.event, keys, { ed25519 }).kind).toBe("valid");
  });

  test("the signed vector checks out on receipt", () => {
    const keys = new Map([["domain", new Map([["ed25519:1", ed25519.publicKey(SEED)]])]]);
    for (const version of BEFORE_V11.slice(2)) {
      const outcome = engine.checkReceivedEvent(version, minimalSigned, keys, { ed25519 });
      expect(outcome).toEqual({ kind: "valid", eventId: engine.eventId(version, minimalSigned), roomId: "!x:domain", signedBy: ["domain"] });
    }
  });
});

// Checks on receipt: a little room of two servers.
const alice = { seed: new Uint8Array(32).fill(1), server: "alice.org" };
const bob = { seed: new Uint8Array(32).fill(2), server: "bob.org" };
const signerOf = (who: typeof alice, keyId = "ed25519:a", ed25519: Ed25519 = nativeEd25519): EventSigner =>
  ed25519Signer(who.server, { keyId, seed: who.seed }, ed25519);
const keysOf = (...who: (typeof alice)[]): PublicKeys =>
  new Map(who.map((w) => [w.server, new Map([["ed25519:a", nativeEd25519.publicKey(w.seed)]])]));

function pdu(version: string, overrides: JsonObject = {}): JsonObject {
  const v1 = version === "1" || version === "2";
  return {
    type: "m.room.message",
    sender: "@alice:alice.org",
    room_id: "!room:alice.org",
    origin_server_ts: 1_700_000_000_000,
    depth: 4,
    content: { body: "hello", msgtype: "m.text" },
    prev_events: v1 ? [["$p:alice.org", { sha256: "cA" }]] : ["$p"],
    auth_events: v1 ? [] : ["$create", "$pl", "$member"],
    ...(v1 ? { event_id: "$local:alice.org" } : {}),
    ...overrides,
  };
}

const sign = (version: string, event: JsonObject, signer: EventSigner = signerOf(alice)) => engine.signEvent(version, event, signer).event;

describe.each(implementations)("checks on receipt (%s Ed25519)", (_, ed25519) => {
  const check = (version: string, event: unknown, keys: PublicKeys = keysOf(alice, bob)): ReceivedEventOutcome =>
    engine.checkReceivedEvent(version, event, keys, { ed25519 });

  test("a well-signed event is valid in every version", () => {
    for (let v = 1; v <= 11; v++) {
      const version = String(v);
      const signed = engine.signEvent(version, pdu(version, { signatures: {}, unsigned: { age: 3 } }), signerOf(alice, "ed25519:a", ed25519));
      expect(check(version, signed.event)).toEqual({ kind: "valid", eventId: signed.eventId, roomId: "!room:alice.org", signedBy: ["alice.org"] });
    }
  });

  test("a changed body keeps valid signatures but fails the content hash: redact", () => {
    const event = sign("11", pdu("11"));
    const tampered = { ...event, content: { body: "changed", msgtype: "m.text" } };
    const outcome = check("11", tampered);
    expect(outcome.kind).toBe("redact");
    if (outcome.kind !== "redact") return;
    expect(outcome.reason).toBe("content_hash_mismatch");
    expect(outcome.eventId).toBe(engine.eventId("11", event));
    expect(outcome.redacted).toEqual(engine.redact("11", event));
    expect(outcome.redacted.content).toEqual({});
    // A redacted copy, as a server may legitimately serve it, checks out the same way.
    expect(check("11", engine.redact("11", event)).kind).toBe("redact");
  });

  test("a changed covered key breaks the signature: invalid", () => {
    const event = sign("11", pdu("11"));
    expect(check("11", { ...event, depth: 5 })).toEqual({
      kind: "invalid",
      reason: { code: "signature", failure: { server: "alice.org", problem: "bad_signature", keyId: "ed25519:a" } },
    });
  });

  test("signature failures are typed", () => {
    const event = sign("11", pdu("11"));
    const failure = (outcome: ReceivedEventOutcome) => (outcome.kind === "invalid" && outcome.reason.code === "signature" ? outcome.reason.failure : outcome);
    expect(failure(check("11", { ...event, signatures: {} }))).toEqual({ server: "alice.org", problem: "unsigned" });
    expect(failure(check("11", { ...event, signatures: { "alice.org": { "other:a": "x" } } }))).toEqual({ server: "alice.org", problem: "unsigned" });
    expect(failure(check("11", event, keysOf(bob)))).toEqual({ server: "alice.org", problem: "no_known_key" });
    expect(failure(check("11", { ...event, signatures: { "alice.org": { "ed25519:a": "not base64!" } } }))).toEqual({
      server: "alice.org",
      problem: "malformed",
      keyId: "ed25519:a",
    });
    // Every known key's signature must verify: a good one does not excuse a bad one.
    const two = sign("11", event, signerOf(alice, "ed25519:b"));
    const bothKeys = new Map([["alice.org", new Map([["ed25519:a", nativeEd25519.publicKey(alice.seed)], ["ed25519:b", nativeEd25519.publicKey(bob.seed)]])]]);
    expect(failure(check("11", two, bothKeys))).toEqual({ server: "alice.org", problem: "bad_signature", keyId: "ed25519:b" });
    // Unknown keys are skipped.
    expect(check("11", two).kind).toBe("valid");
  });

  test("a badly formed event is invalid before any signature is looked at", () => {
    let lookups = 0;
    const keys: PublicKeys = () => {
      lookups++;
      return undefined;
    };
    const outcome = check("11", { ...sign("11", pdu("11")), prev_events: "nope" }, keys);
    expect(outcome).toMatchObject({ kind: "invalid", reason: { code: "format", issue: { code: "wrong_type", key: "prev_events" } } });
    expect(lookups).toBe(0);
    expect(check("11", "not an event")).toMatchObject({ kind: "invalid", reason: { code: "format", issue: { code: "not_an_object" } } });
  });

  test("v1 and v2 also need the signature of the server named in the event id", () => {
    const event = pdu("1", { event_id: "$local:bob.org" });
    const aliceOnly = sign("1", event);
    expect(check("1", aliceOnly)).toMatchObject({ kind: "invalid", reason: { failure: { server: "bob.org", problem: "unsigned" } } });
    const both = sign("1", aliceOnly, signerOf(bob));
    expect(check("1", both)).toMatchObject({ kind: "valid", signedBy: ["alice.org", "bob.org"] });
    // From v3 the event id names no server.
    expect(check("3", sign("3", pdu("3")))).toMatchObject({ kind: "valid", signedBy: ["alice.org"] });
  });

  test("key validity: valid_until_ts from v5, expired_ts always", () => {
    const ts = 1_700_000_000_000;
    const key = (more: object) => new Map([["alice.org", new Map([["ed25519:a", { key: nativeEd25519.publicKey(alice.seed), ...more }]])]]);
    for (const [version, enforced] of [["4", false], ["5", true], ["12", true]] as const) {
      const event = sign(version, version === "12" ? pdu(version, { room_id: `!${"A".repeat(43)}` }) : pdu(version));
      expect(check(version, event, key({ validUntilTs: ts - 1 })).kind).toBe(enforced ? "invalid" : "valid");
      expect(check(version, event, key({ validUntilTs: ts })).kind).toBe("valid");
      expect(check(version, event, key({ expiredTs: ts - 1 })).kind).toBe("invalid");
      expect(check(version, event, key({ expiredTs: ts + 1 })).kind).toBe("valid");
    }
  });

  test("keys can come from a callback", () => {
    const asked: string[] = [];
    const keys: PublicKeys = (server, keyId) => {
      asked.push(`${server} ${keyId}`);
      return server === "alice.org" && keyId === "ed25519:a" ? nativeEd25519.publicKey(alice.seed) : undefined;
    };
    expect(check("11", sign("11", pdu("11")), keys).kind).toBe("valid");
    expect(asked).toEqual(["alice.org ed25519:a"]);
  });

  test("a restricted join reports whether the authorising server signed; it is not required", () => {
    const join = pdu("9", {
      type: "m.room.member",
      state_key: "@alice:alice.org",
      content: { membership: "join", join_authorised_via_users_server: "@bob:bob.org" },
    });
    const byAlice = sign("9", join);
    expect(check("9", byAlice)).toMatchObject({ kind: "valid", signedBy: ["alice.org"] });
    expect(check("9", sign("9", byAlice, signerOf(bob)))).toMatchObject({ kind: "valid", signedBy: ["alice.org", "bob.org"] });
    // Before restricted joins existed the key means nothing.
    expect(check("7", sign("7", sign("7", join), signerOf(bob)))).toMatchObject({ kind: "valid", signedBy: ["alice.org"] });
  });

  test("an invite from a third-party invite does not need the sender's server", () => {
    const invite = pdu("11", {
      type: "m.room.member",
      state_key: "@carol:carol.org",
      content: { membership: "invite", third_party_invite: { display_name: "c", signed: { mxid: "@carol:carol.org", token: "t" } } },
    });
    const signedByOther = sign("11", invite, signerOf(bob));
    expect(check("11", signedByOther)).toMatchObject({ kind: "valid", signedBy: [] });
  });

  test("a batch keeps each event's outcome in its place", () => {
    const good = sign("11", pdu("11"));
    const outcomes = engine.checkReceivedEvents("11", [good, { ...good, depth: 9 }, 7, { ...good, content: {} }], keysOf(alice), { ed25519 });
    expect(outcomes.map((o) => o.kind)).toEqual(["valid", "invalid", "invalid", "redact"]);
  });
});

describe("signing events this server builds", () => {
  test("a v12 create event gets its room id, and the room's events can point at it", () => {
    const create = engine.signEvent(
      "12",
      {
        type: "m.room.create",
        state_key: "",
        sender: "@alice:alice.org",
        content: { room_version: "12", additional_creators: ["@bob:bob.org"] },
        origin_server_ts: 1,
        depth: 1,
        prev_events: [],
        auth_events: [],
      },
      signerOf(alice),
    );
    expect(create.roomId).toBe(`!${create.eventId.slice(1)}`);
    expect(create.event.room_id).toBeUndefined();
    expect(engine.checkReceivedEvent("12", create.event, keysOf(alice))).toMatchObject({ kind: "valid", roomId: create.roomId });
    const message = engine.signEvent("12", pdu("12", { room_id: create.roomId, auth_events: [] }), signerOf(alice));
    expect(engine.checkReceivedEvent("12", message.event, keysOf(alice))).toMatchObject({ kind: "valid", roomId: create.roomId });
  });

  test("a batch signs each event, keeping other servers' signatures and hash algorithms", () => {
    const events = [pdu("11"), pdu("11", { depth: 5, signatures: { "bob.org": { "ed25519:b": "kept" } }, hashes: { sha512: "kept" } })];
    const signed = engine.signEvents("11", events, signerOf(alice));
    expect(signed.map((s) => s.eventId)).toEqual(engine.eventIds("11", signed.map((s) => s.event)));
    expect(signed[1]!.event.signatures).toMatchObject({ "bob.org": { "ed25519:b": "kept" }, "alice.org": { "ed25519:a": expect.any(String) } });
    expect(signed[1]!.event.hashes).toEqual({ sha256: engine.contentHash("11", events[1]!), sha512: "kept" });
    expect(events[0]!.hashes).toBeUndefined(); // the input is not modified
  });

  test("both Ed25519 implementations make the same signed event", () => {
    const event = pdu("11");
    expect(engine.signEvent("11", event, signerOf(alice, "ed25519:a", nobleEd25519))).toEqual(engine.signEvent("11", event, signerOf(alice)));
  });
});

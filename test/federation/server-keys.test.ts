// ServerKeySource over a fake transport and a real table: direct fetches, the notary fallback,
// hostile answers, caching, expiry and concurrent lookups.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { createServerKeys } from "../../src/auth/server-keys.ts";
import { generateSigningKey } from "../../src/auth/signing-key.ts";
import { createRemoteServerKeys, KEY_FETCH_RETRY_MS, type TrustedKeyServer } from "../../src/federation/server-keys.ts";
import { MAX_KEYS_PER_RESPONSE, MAX_KEY_VALIDITY_MS } from "../../src/federation/server-keys-response.ts";
import { MAX_NOTARY_ANSWER_ENTRIES } from "../../src/federation/server-keys-notary.ts";
import { silentLogger } from "../../src/log/logger.ts";
import { encodeBase64 } from "../../src/protocol/base64.ts";
import { canonicalJson } from "../../src/protocol/canonical-json.ts";
import { nativeEd25519 } from "../../src/protocol/ed25519.ts";
import type { JsonObject } from "../../src/protocol/signed-json.ts";
import { createServerKeysRepo } from "../../src/storage/repos/server-keys.ts";
import { createTestDatabase, type TestDatabase } from "../helpers/db.ts";
import { fakeServer, fakeTransport, serveKeys, type FakeServer } from "./server-keys-fakes.ts";

const HOUR = 3600_000;
let db: TestDatabase;
beforeAll(async () => (db = await createTestDatabase()));
afterAll(() => db.close());

const ownKey = generateSigningKey(nativeEd25519);
const ownOldKey = generateSigningKey(nativeEd25519);

function setup(trustedKeyServers: TrustedKeyServer[] = []) {
  const clock = { time: 1_700_000_000_000 };
  const now = () => clock.time;
  const fake = fakeTransport();
  const own = createServerKeys({
    serverName: "us.test", signingKey: ownKey, validityMs: HOUR, ed25519: nativeEd25519, canonicalJson, now,
    oldKeys: { [ownOldKey.keyId]: { key: encodeBase64(ownOldKey.publicKey), expired_ts: clock.time - HOUR } },
  });
  const make = () =>
    createRemoteServerKeys({
      own, transport: fake.transport, repo: createServerKeysRepo(db.db), trustedKeyServers, log: silentLogger, now,
      ed25519: nativeEd25519, canonicalJson,
    });
  return { clock, now, fake, keys: make(), make };
}

let serverCounter = 0;
/** A remote with a name of its own, so tests never share cached keys. */
const remote = (): FakeServer => fakeServer(`remote${++serverCounter}.test`);

describe("direct fetch", () => {
  test("fetches, verifies and stores the key; later lookups come from memory, then from the table", async () => {
    const { fake, keys, now, make } = setup();
    const server = remote();
    serveKeys(fake, server, now);
    expect(await keys.verifyKey(server.name, server.key.keyId, now())).toEqual(server.key.publicKey);
    expect(fake.callsTo(server.name)).toEqual([{ destination: server.name, method: "GET", path: "/_matrix/key/v2/server", body: undefined, signed: false }]);
    expect(await keys.verifyKey(server.name, server.key.keyId, now())).toEqual(server.key.publicKey);
    expect(fake.callsTo(server.name).length).toBe(1);
    const [row] = await createServerKeysRepo(db.db).keysOf(server.name);
    expect(row).toMatchObject({ keyId: server.key.keyId, verifyKey: encodeBase64(server.key.publicKey), fromServer: server.name, expired: false, fetchedTs: now() });
    expect(JSON.parse(row!.keyJson).signatures[server.name][server.key.keyId]).toBeString();
    fake.offline(server.name);
    expect(await make().verifyKey(server.name, server.key.keyId, now())).toEqual(server.key.publicKey);
    expect(fake.callsTo(server.name).length).toBe(1);
  });

  test("our own server name is answered from our keys, never over the network", async () => {
    const { fake, keys, now } = setup();
    expect(await keys.verifyKey("us.test", ownKey.keyId, now() + 30 * 24 * HOUR)).toEqual(ownKey.publicKey);
    expect(await keys.verifyKey("us.test", ownOldKey.keyId, now() - 2 * HOUR)).toEqual(ownOldKey.publicKey);
    expect(await keys.verifyKey("us.test", ownOldKey.keyId, now())).toBeNull();
    expect(await keys.verifyKey("us.test", "ed25519:nope", now())).toBeNull();
    expect(fake.calls).toEqual([]);
  });

  test("old keys count until their expired_ts", async () => {
    const { fake, keys, now } = setup();
    const server = remote();
    const old = generateSigningKey(nativeEd25519);
    fake.serve(server.name, () => server.response(now() + HOUR, { old_verify_keys: { [old.keyId]: { key: encodeBase64(old.publicKey), expired_ts: now() - HOUR } } }));
    expect(await keys.verifyKey(server.name, old.keyId, now() - 2 * HOUR)).toEqual(old.publicKey);
    expect(await keys.verifyKey(server.name, old.keyId, now() - HOUR / 2)).toBeNull();
  });

  test("an unknown key id is not refetched for KEY_FETCH_RETRY_MS, then is", async () => {
    const { fake, keys, now, clock } = setup();
    const server = remote();
    serveKeys(fake, server, now);
    expect(await keys.verifyKey(server.name, "ed25519:other", now())).toBeNull();
    expect(await keys.verifyKey(server.name, "ed25519:other", now())).toBeNull();
    expect(fake.callsTo(server.name).length).toBe(1);
    clock.time += KEY_FETCH_RETRY_MS;
    expect(await keys.verifyKey(server.name, "ed25519:other", now())).toBeNull();
    expect(fake.callsTo(server.name).length).toBe(2);
  });

  test("an unreachable server is not retried for a while, then is, and its key is found", async () => {
    const { fake, keys, now, clock } = setup();
    const server = remote();
    expect(await keys.verifyKey(server.name, server.key.keyId, now())).toBeNull();
    serveKeys(fake, server, now);
    expect(await keys.verifyKey(server.name, server.key.keyId, now())).toBeNull();
    expect(fake.callsTo(server.name).length).toBe(1);
    clock.time += KEY_FETCH_RETRY_MS;
    expect(await keys.verifyKey(server.name, server.key.keyId, now())).toEqual(server.key.publicKey);
  });

  test("a key past valid_until_ts is refetched when a later validity is asked; earlier ones stay cached", async () => {
    const { fake, keys, now, clock } = setup();
    const server = remote();
    serveKeys(fake, server, now, HOUR);
    const fetchedAt = now();
    expect(await keys.verifyKey(server.name, server.key.keyId, fetchedAt)).not.toBeNull();
    clock.time += 2 * HOUR;
    fake.offline(server.name);
    expect(await keys.verifyKey(server.name, server.key.keyId, fetchedAt + HOUR / 2)).toEqual(server.key.publicKey);
    expect(fake.callsTo(server.name).length).toBe(1);
    expect(await keys.verifyKey(server.name, server.key.keyId, now())).toBeNull();
    expect(fake.callsTo(server.name).length).toBe(2);
    clock.time += KEY_FETCH_RETRY_MS;
    serveKeys(fake, server, now, HOUR);
    expect(await keys.verifyKey(server.name, server.key.keyId, now())).toEqual(server.key.publicKey);
    expect(fake.callsTo(server.name).length).toBe(3);
  });

  test("valid_until_ts counts at most 7 days past the fetch", async () => {
    const { fake, keys, now } = setup();
    const server = remote();
    serveKeys(fake, server, now, 365 * 24 * HOUR);
    expect(await keys.verifyKey(server.name, server.key.keyId, now() + MAX_KEY_VALIDITY_MS)).toEqual(server.key.publicKey);
    expect(await keys.verifyKey(server.name, server.key.keyId, now() + MAX_KEY_VALIDITY_MS + 1)).toBeNull();
  });

  test("concurrent lookups of one server share one fetch", async () => {
    const { fake, keys, now } = setup();
    const server = remote();
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    fake.serve(server.name, async () => (await gate, server.response(now() + HOUR)));
    const lookups = [server.key.keyId, server.key.keyId, "ed25519:other", server.key.keyId].map((keyId) => keys.verifyKey(server.name, keyId, now()));
    await Bun.sleep(20);
    release();
    const results = await Promise.all(lookups);
    expect(results.map((key) => key && encodeBase64(key))).toEqual([encodeBase64(server.key.publicKey), encodeBase64(server.key.publicKey), null, encodeBase64(server.key.publicKey)]);
    expect(fake.callsTo(server.name).length).toBe(1);
  });

  test("a name that is not a server name is never fetched", async () => {
    const { fake, keys, now } = setup();
    for (const name of ["", "bad name", "a/b", "[::1", "host:99999"]) expect(await keys.verifyKey(name, "ed25519:a", now())).toBeNull();
    expect(fake.calls).toEqual([]);
  });
});

describe("hostile direct answers give null", () => {
  const cases: [string, (server: FakeServer, validUntil: number) => unknown][] = [
    ["a string", () => "keys"],
    ["null", () => null],
    ["an array", (s, v) => [s.response(v)]],
    ["another server's name", (s, v) => fakeServer(`${s.name}.evil`).response(v)],
    ["the right name over another server's keys", (s, v) => ({ ...fakeServer("evil.test").response(v, { server_name: s.name }) })],
    ["a tampered response", (s, v) => ({ ...s.response(v), valid_until_ts: v + 1 })],
    ["no signatures", (s, v) => ({ ...s.response(v), signatures: undefined })],
    ["signatures by another entity only", (s, v) => ({ ...s.response(v), signatures: { "x.test": s.response(v).signatures } })],
    ["a signature that is not base64", (s, v) => ({ ...s.response(v), signatures: { [s.name]: { [s.key.keyId]: "!!!" } } })],
    ["a key that is not base64", (s, v) => s.response(v, { verify_keys: { [s.key.keyId]: { key: "not*base64" } } })],
    ["a key of the wrong length", (s, v) => s.response(v, { verify_keys: { [s.key.keyId]: { key: encodeBase64(new Uint8Array(31)) } } })],
    ["a key entry without its key", (s, v) => s.response(v, { verify_keys: { [s.key.keyId]: {} } })],
    ["verify_keys missing", (s, v) => s.response(v, { verify_keys: undefined })],
    ["verify_keys as a list", (s, v) => s.response(v, { verify_keys: [] })],
    ["valid_until_ts missing", (s) => s.response(0, { valid_until_ts: undefined })],
    ["valid_until_ts as a string", (s, v) => s.response(0, { valid_until_ts: String(v) })],
    ["valid_until_ts as a fraction", (s, v) => s.response(0, { valid_until_ts: v + 0.5 })],
    ["an old key without expired_ts", (s, v) => s.response(v, { old_verify_keys: { "ed25519:old": { key: encodeBase64(new Uint8Array(32)) } } })],
    ["old_verify_keys as a string", (s, v) => s.response(v, { old_verify_keys: "none" })],
    [
      "a huge list of keys",
      (s, v) => {
        const many: JsonObject = { [s.key.keyId]: { key: encodeBase64(s.key.publicKey) } };
        for (let i = 0; i < MAX_KEYS_PER_RESPONSE; i++) many[`ed25519:k${i}`] = { key: encodeBase64(generateSigningKey(nativeEd25519).publicKey) };
        return s.response(v, { verify_keys: many });
      },
    ],
    [
      "one good and one bad signature by listed keys",
      (s, v) => {
        const other = generateSigningKey(nativeEd25519);
        const response = s.response(v, { verify_keys: { [s.key.keyId]: { key: encodeBase64(s.key.publicKey) }, [other.keyId]: { key: encodeBase64(other.publicKey) } } });
        const signatures = response.signatures as Record<string, Record<string, string>>;
        return { ...response, signatures: { [s.name]: { ...signatures[s.name], [other.keyId]: signatures[s.name]![s.key.keyId]! } } };
      },
    ],
  ];
  for (const [what, answer] of cases) {
    test(what, async () => {
      const { fake, keys, now } = setup();
      const server = remote();
      fake.serve(server.name, () => answer(server, now() + HOUR));
      expect(await keys.verifyKey(server.name, server.key.keyId, now())).toBeNull();
      expect(fake.callsTo(server.name).length).toBe(1);
      expect((await createServerKeysRepo(db.db).keysOf(server.name)).length).toBe(0);
    });
  }

  test("a transport that throws something other than a FederationRequestError", async () => {
    const { fake, keys, now } = setup();
    const server = remote();
    fake.serve(server.name, () => {
      throw new TypeError("boom");
    });
    expect(await keys.verifyKey(server.name, server.key.keyId, now())).toBeNull();
  });

  test("a sound response with only keys of other algorithms or malformed ids gives nothing for them", async () => {
    const { fake, keys, now } = setup();
    const server = remote();
    const extra = { "curve25519:x": { key: "abc" }, "ed25519:bad-id!": { key: "abc" } };
    fake.serve(server.name, () => server.response(now() + HOUR, { verify_keys: { [server.key.keyId]: { key: encodeBase64(server.key.publicKey) }, ...extra } }));
    expect(await keys.verifyKey(server.name, server.key.keyId, now())).toEqual(server.key.publicKey);
    expect(await keys.verifyKey(server.name, "ed25519:bad-id!", now())).toBeNull();
  });
});

describe("notary fallback", () => {
  const notary = fakeServer("notary.test");
  const trusted = (withKey = true): TrustedKeyServer[] => [
    { server_name: notary.name, ...(withKey ? { verify_keys: { [notary.key.keyId]: encodeBase64(notary.key.publicKey) } } : {}) },
  ];
  /** The notary answers with `entries(origin response)` for whatever it is asked. */
  function serveNotary(fake: ReturnType<typeof fakeTransport>, entries: (request: JsonObject) => unknown[]) {
    fake.serve(notary.name, (request) => ({ server_keys: entries(request.body!) }));
  }

  test("asks the notary with minimum_valid_until_ts when the server fails, and checks both signatures", async () => {
    const { fake, keys, now } = setup(trusted());
    const server = remote();
    serveNotary(fake, () => [notary.sign(server.response(now() + HOUR))]);
    const validAt = now() - 5;
    expect(await keys.verifyKey(server.name, server.key.keyId, validAt)).toEqual(server.key.publicKey);
    const [direct, viaNotary] = fake.calls;
    expect(direct).toMatchObject({ destination: server.name, path: "/_matrix/key/v2/server" });
    expect(viaNotary).toEqual({
      destination: notary.name, method: "POST", path: "/_matrix/key/v2/query", signed: true,
      body: { server_keys: { [server.name]: { [server.key.keyId]: { minimum_valid_until_ts: validAt } } } },
    });
    const [row] = await createServerKeysRepo(db.db).keysOf(server.name);
    expect(row!.fromServer).toBe(notary.name);
  });

  test("the notary is not asked when the server answers", async () => {
    const { fake, keys, now } = setup(trusted());
    const server = remote();
    serveKeys(fake, server, now);
    expect(await keys.verifyKey(server.name, server.key.keyId, now())).not.toBeNull();
    expect(fake.callsTo(notary.name)).toEqual([]);
  });

  const refused: [string, (server: FakeServer, validUntil: number) => unknown[]][] = [
    ["no notary signature", (s, v) => [s.response(v)]],
    ["a notary signature by another key", (s, v) => [fakeServer(notary.name).sign(s.response(v))]],
    ["a forged origin signature", (s, v) => [notary.sign(fakeServer(s.name).response(v))]],
    ["a tampered entry", (s, v) => [{ ...notary.sign(s.response(v)), valid_until_ts: v + 1 }]],
    ["an entry about another server", (s, v) => [notary.sign(fakeServer("other.test").response(v))]],
    ["a huge list", (s, v) => Array.from({ length: MAX_NOTARY_ANSWER_ENTRIES + 1 }, () => notary.sign(s.response(v)))],
    ["entries that are not objects", () => [null, 3, "x", []]],
  ];
  for (const [what, entries] of refused) {
    test(`refuses ${what}`, async () => {
      const { fake, keys, now } = setup(trusted());
      const server = remote();
      serveNotary(fake, () => entries(server, now() + HOUR));
      expect(await keys.verifyKey(server.name, server.key.keyId, now())).toBeNull();
      expect(fake.callsTo(notary.name).length).toBe(1);
    });
  }

  test("refuses an answer that is not an object with a server_keys list", async () => {
    for (const answer of [null, "x", { server_keys: {} }, { server_keys: "x" }]) {
      const { fake, keys, now } = setup(trusted());
      const server = remote();
      fake.serve(notary.name, () => answer);
      expect(await keys.verifyKey(server.name, server.key.keyId, now())).toBeNull();
    }
  });

  test("a notary without configured keys is trusted through TLS, the origin's signature still checked", async () => {
    const { fake, keys, now } = setup(trusted(false));
    const good = remote();
    const forged = remote();
    serveNotary(fake, (request) => {
      const name = Object.keys(request.server_keys as JsonObject)[0];
      return [name === good.name ? good.response(now() + HOUR) : fakeServer(forged.name).response(now() + HOUR)];
    });
    expect(await keys.verifyKey(good.name, good.key.keyId, now())).toEqual(good.key.publicKey);
    expect(await keys.verifyKey(forged.name, forged.key.keyId, now())).toBeNull();
  });

  test("an unreachable notary gives null", async () => {
    const { fake, keys, now } = setup(trusted());
    const server = remote();
    expect(await keys.verifyKey(server.name, server.key.keyId, now())).toBeNull();
    expect(fake.callsTo(notary.name).length).toBe(1);
  });
});

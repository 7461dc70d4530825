// The notary endpoints through HTTP: POST /_matrix/key/v2/query and GET /_matrix/key/v2/query/{serverName},
// with remote servers behind a fake transport.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { createApp } from "../../src/app.ts";
import { createRemoteServerKeys, KEY_FETCH_RETRY_MS } from "../../src/federation/server-keys.ts";
import { createKeyNotary, NOTARY_QUERY_MAX_SERVERS } from "../../src/federation/server-keys-serve.ts";
import { decodeBase64 } from "../../src/protocol/base64.ts";
import { nobleEd25519 } from "../../src/protocol/ed25519.ts";
import { verifyJsonSignature } from "../../src/protocol/signed-json.ts";
import { createServerKeysRepo } from "../../src/storage/repos/server-keys.ts";
import { fakeServer, fakeTransport, serveKeys } from "../federation/server-keys-fakes.ts";
import { roomsTestServer, type RoomsTestServer } from "../helpers/rooms.ts";
import { jsonCaller } from "../helpers/user-data.ts";

const HOUR = 3600_000;
let server: RoomsTestServer;
let call: ReturnType<typeof jsonCaller>;
const fake = fakeTransport();
const now = () => Date.now() + server.clock.offset;
const alive = fakeServer("alive.test");
const other = fakeServer("other.test");

beforeAll(async () => {
  server = await roomsTestServer({ TRUSTED_KEY_SERVERS: "[]" });
  const { services } = server;
  const remoteKeys = createRemoteServerKeys({
    own: services.serverKeys, transport: fake.transport, repo: createServerKeysRepo(server.db.db), trustedKeyServers: [],
    log: services.log, now, ed25519: nobleEd25519, canonicalJson: server.engine.canonicalJson,
  });
  const app = createApp({ ...services, keyNotary: createKeyNotary(remoteKeys, services.serverKeys) }, ["keys"]);
  call = jsonCaller(app);
  serveKeys(fake, alive, now, 4 * HOUR);
  serveKeys(fake, other, now, 4 * HOUR);
});
afterAll(() => server.close());

const ourName = () => server.config.server_name;
const ourKeyId = () => server.services.serverKeys.signingKey.keyId;
/** Signed by `entity` with `keyId` whose public key is `publicKey`. */
const signedBy = (json: any, entity: string, keyId: string, publicKey: Uint8Array) => verifyJsonSignature(json, entity, keyId, publicKey, nobleEd25519).ok;
const signedByUs = (json: any) => signedBy(json, ourName(), ourKeyId(), server.services.serverKeys.signingKey.publicKey);

describe("GET /_matrix/key/v2/query/{serverName}", () => {
  test("fetches the server's keys and answers them signed by the server and by us", async () => {
    const res = await call("GET", `/_matrix/key/v2/query/${alive.name}`);
    expect(res.status).toBe(200);
    const [entry, ...rest] = res.body.server_keys;
    expect(rest).toEqual([]);
    expect(entry.server_name).toBe(alive.name);
    expect(Object.keys(entry.verify_keys)).toEqual([alive.key.keyId]);
    expect(signedBy(entry, alive.name, alive.key.keyId, alive.key.publicKey)).toBe(true);
    expect(signedByUs(entry)).toBe(true);
    expect(signedByUs({ ...entry, valid_until_ts: entry.valid_until_ts + 1 })).toBe(false);
  });

  test("answers from cache within half the response's life; refetches after, or for a later minimum_valid_until_ts", async () => {
    const before = fake.callsTo(other.name).length;
    await call("GET", `/_matrix/key/v2/query/${other.name}`);
    // Past the retry time, so only freshness keeps it from refetching.
    server.clock.offset += KEY_FETCH_RETRY_MS;
    await call("GET", `/_matrix/key/v2/query/${other.name}`);
    expect(fake.callsTo(other.name).length).toBe(before + 1);
    const res = await call("GET", `/_matrix/key/v2/query/${other.name}?minimum_valid_until_ts=${now() + 10 * HOUR}`);
    expect(res.body.server_keys.length).toBe(1);
    expect(fake.callsTo(other.name).length).toBe(before + 2);
    server.clock.offset += 3 * HOUR;
    await call("GET", `/_matrix/key/v2/query/${other.name}`);
    expect(fake.callsTo(other.name).length).toBe(before + 3);
  });

  test("keeps answering with the last response when the server goes offline", async () => {
    const gone = fakeServer("gone.test");
    serveKeys(fake, gone, now, HOUR);
    const first = await call("GET", `/_matrix/key/v2/query/${gone.name}`);
    fake.offline(gone.name);
    server.clock.offset += 2 * HOUR + KEY_FETCH_RETRY_MS;
    const later = await call("GET", `/_matrix/key/v2/query/${gone.name}`);
    expect(fake.callsTo(gone.name).length).toBe(2);
    expect(later.status).toBe(200);
    expect(later.body.server_keys.map((entry: any) => entry.valid_until_ts)).toEqual(first.body.server_keys.map((entry: any) => entry.valid_until_ts));
  });

  test("our own server name: our published keys, never fetched", async () => {
    const res = await call("GET", `/_matrix/key/v2/query/${ourName()}`);
    expect(res.status).toBe(200);
    const [entry] = res.body.server_keys;
    expect(entry.server_name).toBe(ourName());
    expect(decodeBase64(entry.verify_keys[ourKeyId()].key)).toEqual(server.services.serverKeys.signingKey.publicKey);
    expect(signedByUs(entry)).toBe(true);
    expect(fake.callsTo(ourName())).toEqual([]);
  });

  test("an unreachable server: an empty list", async () => {
    const res = await call("GET", "/_matrix/key/v2/query/unreachable.test");
    expect(res).toEqual({ status: 200, body: { server_keys: [] } } as any);
  });

  test("bad input: an invalid server name or minimum_valid_until_ts", async () => {
    for (const path of ["/_matrix/key/v2/query/not%20a%20server", "/_matrix/key/v2/query/host:70000", "/_matrix/key/v2/query/%5B%3A%3A1"]) {
      const res = await call("GET", path);
      expect([res.status, res.body.errcode]).toEqual([400, "M_INVALID_PARAM"]);
    }
    for (const value of ["soon", "-1", "", "99999999999999999999"]) {
      const res = await call("GET", `/_matrix/key/v2/query/${alive.name}?minimum_valid_until_ts=${value}`);
      expect([res.status, res.body.errcode]).toEqual([400, "M_INVALID_PARAM"]);
    }
  });
});

test("a keys listener without a notary (no federation transport) does not serve the query endpoints", async () => {
  const app = createApp({ ...server.services, keyNotary: undefined }, ["keys", "federation"]);
  expect((await app.handle(new Request(`http://localhost/_matrix/key/v2/query/${alive.name}`))).status).toBe(404);
  expect((await app.handle(new Request("http://localhost/_matrix/key/v2/server"))).status).toBe(200);
});

describe("POST /_matrix/key/v2/query", () => {
  test("answers every reachable server asked, leaving out the others, all signed by us", async () => {
    const res = await call("POST", "/_matrix/key/v2/query", {
      body: { server_keys: { [alive.name]: { [alive.key.keyId]: { minimum_valid_until_ts: now() } }, [other.name]: {}, "nowhere.test": {}, [ourName()]: {} } },
    });
    expect(res.status).toBe(200);
    const names = res.body.server_keys.map((entry: any) => entry.server_name).sort();
    expect(names).toEqual([alive.name, other.name, ourName()].sort());
    expect(res.body.server_keys.every(signedByUs)).toBe(true);
  });

  test("no servers: an empty list", async () => {
    expect(await call("POST", "/_matrix/key/v2/query", { body: { server_keys: {} } })).toEqual({ status: 200, body: { server_keys: [] } } as any);
  });

  test("a key id the cache lacks makes it refetch, once within the retry time", async () => {
    server.clock.offset += KEY_FETCH_RETRY_MS;
    const before = fake.callsTo(alive.name).length;
    const ask = () => call("POST", "/_matrix/key/v2/query", { body: { server_keys: { [alive.name]: { "ed25519:unknown": {} } } } });
    expect((await ask()).body.server_keys.length).toBe(1);
    await ask();
    expect(fake.callsTo(alive.name).length).toBe(before + 1);
  });

  test("bad input: malformed bodies and criteria are M_BAD_JSON, bad server names M_INVALID_PARAM", async () => {
    for (const rawBody of ["{nope", "[]", "3"]) {
      const res = await call("POST", "/_matrix/key/v2/query", { rawBody });
      expect([res.status, res.body.errcode]).toEqual([400, "M_NOT_JSON"]);
    }
    const malformed = [{}, { server_keys: [] }, { server_keys: "x" }, { server_keys: { [alive.name]: [] } }, { server_keys: { [alive.name]: { "ed25519:a": 5 } } },
      { server_keys: { [alive.name]: { "ed25519:a": { minimum_valid_until_ts: "soon" } } } }, { server_keys: { [alive.name]: { "ed25519:a": { minimum_valid_until_ts: 1.5 } } } }];
    for (const body of malformed) {
      const res = await call("POST", "/_matrix/key/v2/query", { body });
      expect([JSON.stringify(body), res.status, res.body.errcode]).toEqual([JSON.stringify(body), 400, "M_BAD_JSON"]);
    }
    const tooMany = Object.fromEntries(Array.from({ length: NOTARY_QUERY_MAX_SERVERS + 1 }, (_, i) => [`s${i}.test`, {}]));
    for (const body of [{ server_keys: { "bad name": {} } }, { server_keys: tooMany }]) {
      const res = await call("POST", "/_matrix/key/v2/query", { body });
      expect([res.status, res.body.errcode]).toEqual([400, "M_INVALID_PARAM"]);
    }
  });
});

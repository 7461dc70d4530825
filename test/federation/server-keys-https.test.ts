// End to end: homeservers on real HTTPS in this process resolve each other's keys through the
// key fetcher (ServerKeySource), directly and to check X-Matrix requests.
import { afterAll, beforeAll, expect, test } from "bun:test";
import { createRemoteServerKeys, type RemoteServerKeys } from "../../src/federation/server-keys.ts";
import type { FederationTransport } from "../../src/federation/transport.ts";
import { endpoint } from "../../src/http/endpoint.ts";
import { silentLogger } from "../../src/log/logger.ts";
import { canonicalJson } from "../../src/protocol/canonical-json.ts";
import { nativeEd25519 } from "../../src/protocol/ed25519.ts";
import { createServerKeysRepo } from "../../src/storage/repos/server-keys.ts";
import { createTestDatabase, type TestDatabase } from "../helpers/db.ts";
import { federationTestServer, TEST_ENDPOINT_PREFIX, type FederationTestServer } from "../helpers/federation.ts";

let db: TestDatabase;
let a: FederationTestServer;
let b: FederationTestServer;
let c: FederationTestServer;
let aKeys: RemoteServerKeys;

beforeAll(async () => {
  db = await createTestDatabase();
  const keySource = (federation: () => FederationTransport) =>
    (aKeys = createRemoteServerKeys({
      // A's own name and keys exist only once the helper has built it; read them at lookup time.
      own: { get serverName() { return a.serverName; }, keyResponse: () => a.services.serverKeys.keyResponse() },
      transport: federation(), repo: createServerKeysRepo(db.db), trustedKeyServers: [], log: silentLogger,
      ed25519: nativeEd25519, canonicalJson,
    }));
  const whoami = endpoint({ method: "GET", paths: [`${TEST_ENDPOINT_PREFIX}whoami`], auth: "server", spec: "test", handler: ({ requester }) => requester });
  a = await federationTestServer({ keySource, testEndpoints: [whoami] });
  b = await federationTestServer();
  c = await federationTestServer();
});
afterAll(async () => {
  await a?.stop();
  await b?.stop();
  await c?.stop();
  await db?.close();
});

test("A fetches B's key over HTTPS, verified and stored", async () => {
  expect(await aKeys.verifyKey(b.serverName, b.signingKey.keyId, Date.now())).toEqual(b.signingKey.publicKey);
  const rows = await createServerKeysRepo(db.db).keysOf(b.serverName);
  expect(rows.map((row) => [row.keyId, row.fromServer])).toEqual([[b.signingKey.keyId, b.serverName]]);
  expect(await aKeys.verifyKey(b.serverName, "ed25519:unknown", Date.now())).toBeNull();
});

test("A checks C's X-Matrix request with C's key, which the key fetcher gets over HTTPS", async () => {
  expect((await createServerKeysRepo(db.db).keysOf(c.serverName)).length).toBe(0);
  const answer = await c.federation.signed(a.serverName, { method: "GET", path: `${TEST_ENDPOINT_PREFIX}whoami` });
  expect(answer).toEqual({ kind: "server", origin: c.serverName });
  expect((await createServerKeysRepo(db.db).keysOf(c.serverName)).map((row) => row.keyId)).toEqual([c.signingKey.keyId]);
});

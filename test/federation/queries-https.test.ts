// End to end over HTTPS: Alice on A asks for Bob on B's profile, B's alias and Bob's device keys
// through A's client API; B answers other servers' queries and refuses what it should.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { generateSigningKey } from "../../src/auth/signing-key.ts";
import { xMatrixAuthorization } from "../../src/auth/x-matrix.ts";
import { FederationRequestError } from "../../src/federation/transport.ts";
import { nativeEd25519 } from "../../src/protocol/ed25519.ts";
import { deviceSigner } from "../helpers/device-keys.ts";
import { federatedHomeserver, type FederatedHomeserver } from "../helpers/federation.ts";

let a: FederatedHomeserver;
let b: FederatedHomeserver;
let alice: { userId: string; deviceId: string; token: string };
let bob: { userId: string; deviceId: string; token: string };
let bobKeys: Record<string, unknown>;
/** A server name nothing listens on (port 1 refuses connections). */
const UNREACHABLE = "127.0.0.1:1";
const v3 = "/_matrix/client/v3";
const enc = encodeURIComponent;

beforeAll(async () => {
  [a, b] = await Promise.all([federatedHomeserver(), federatedHomeserver()]);
  alice = await a.register("alice");
  bob = await b.register("bob");
  await b.ok("PUT", `${v3}/profile/${enc(bob.userId)}/displayname`, { displayname: "Bob" }, bob.token);
  await b.ok("PUT", `${v3}/profile/${enc(bob.userId)}/avatar_url`, { avatar_url: "mxc://b/avatar" }, bob.token);
  const signer = deviceSigner(bob);
  bobKeys = signer.deviceKeys();
  await b.ok("POST", `${v3}/keys/upload`, { device_keys: bobKeys, one_time_keys: { ...signer.otk("1"), ...signer.otk("2") } }, bob.token);
}, 60_000);
afterAll(async () => {
  await a?.stop();
  await b?.stop();
});

/** A signed request of A's to B that is expected to fail; its status and errcode. */
async function refusal(path: string, init: { method?: "GET" | "POST"; query?: Record<string, string>; body?: Record<string, unknown> } = {}) {
  const error = await a.federation.signed(b.serverName, { method: init.method ?? "GET", path, query: init.query, body: init.body }).then(
    () => null, (e: unknown) => e as FederationRequestError,
  );
  expect(error).toBeInstanceOf(FederationRequestError);
  return { status: error!.status, errcode: error!.errcode };
}

describe("profiles", () => {
  test("Alice reads Bob's profile and one field of it from B", async () => {
    expect(await a.ok("GET", `${v3}/profile/${enc(bob.userId)}`, undefined, alice.token)).toEqual({ displayname: "Bob", avatar_url: "mxc://b/avatar" });
    expect(await a.ok("GET", `${v3}/profile/${enc(bob.userId)}/displayname`)).toEqual({ displayname: "Bob" });
    const missing = await a.call("GET", `${v3}/profile/${enc(bob.userId)}/m.tz`);
    expect([missing.status, missing.body.errcode]).toEqual([404, "M_NOT_FOUND"]);
  });

  test("A keeps B's answer for a while (REMOTE_PROFILE_CACHE_MS)", async () => {
    await a.ok("GET", `${v3}/profile/${enc(bob.userId)}`);
    await b.ok("PUT", `${v3}/profile/${enc(bob.userId)}/displayname`, { displayname: "Robert" }, bob.token);
    expect((await b.ok("GET", `${v3}/profile/${enc(bob.userId)}`)).displayname).toBe("Robert");
    expect((await a.ok("GET", `${v3}/profile/${enc(bob.userId)}`)).displayname).toBe("Bob");
    await b.ok("PUT", `${v3}/profile/${enc(bob.userId)}/displayname`, { displayname: "Bob" }, bob.token);
  });

  test("an unknown user of B is 404; a server that cannot be reached is 502", async () => {
    const unknown = await a.call("GET", `${v3}/profile/${enc(`@nobody:${b.serverName}`)}`);
    expect([unknown.status, unknown.body.errcode]).toEqual([404, "M_NOT_FOUND"]);
    const unreachable = await a.call("GET", `${v3}/profile/${enc(`@carol:${UNREACHABLE}`)}`);
    expect([unreachable.status, unreachable.body.errcode]).toEqual([502, "M_UNKNOWN"]);
  });

  test("B answers only for its own users, and refuses bad input", async () => {
    expect(await a.federation.signed(b.serverName, { method: "GET", path: "/_matrix/federation/v1/query/profile", query: { user_id: bob.userId, field: "avatar_url" } }))
      .toEqual({ avatar_url: "mxc://b/avatar" });
    const path = "/_matrix/federation/v1/query/profile";
    expect(await refusal(path, { query: { user_id: alice.userId } })).toEqual({ status: 400, errcode: "M_INVALID_PARAM" });
    expect(await refusal(path, { query: { user_id: `@nobody:${b.serverName}` } })).toEqual({ status: 404, errcode: "M_NOT_FOUND" });
    expect(await refusal(path)).toEqual({ status: 400, errcode: "M_MISSING_PARAM" });
    expect(await refusal(path, { query: { user_id: bob.userId, field: "Not A Key" } })).toEqual({ status: 400, errcode: "M_INVALID_PARAM" });
    expect(await refusal(path, { query: { user_id: "not a user id" } })).toEqual({ status: 400, errcode: "M_INVALID_PARAM" });
  });
});

describe("room aliases", () => {
  let roomId: string;
  beforeAll(async () => {
    roomId = (await b.ok("POST", `${v3}/createRoom`, { room_alias_name: "bobs" }, bob.token)).room_id;
  });

  test("Alice resolves an alias of B through A", async () => {
    const alias = `#bobs:${b.serverName}`;
    expect(await a.ok("GET", `${v3}/directory/room/${enc(alias)}`)).toEqual({ room_id: roomId, servers: [b.serverName] });
  });

  test("an unknown alias of B is 404; an unreachable server is 502", async () => {
    const unknown = await a.call("GET", `${v3}/directory/room/${enc(`#nothing:${b.serverName}`)}`);
    expect([unknown.status, unknown.body.errcode]).toEqual([404, "M_NOT_FOUND"]);
    const unreachable = await a.call("GET", `${v3}/directory/room/${enc(`#room:${UNREACHABLE}`)}`);
    expect([unreachable.status, unreachable.body.errcode]).toEqual([502, "M_UNKNOWN"]);
  });

  test("B answers for its own aliases only, and refuses bad input", async () => {
    const path = "/_matrix/federation/v1/query/directory";
    expect(await refusal(path, { query: { room_alias: `#bobs:${a.serverName}` } })).toEqual({ status: 400, errcode: "M_INVALID_PARAM" });
    expect(await refusal(path, { query: { room_alias: "bobs" } })).toEqual({ status: 400, errcode: "M_INVALID_PARAM" });
    expect(await refusal(path)).toEqual({ status: 400, errcode: "M_MISSING_PARAM" });
  });
});

describe("device keys", () => {
  test("Alice queries Bob's device keys; an unreachable server is a failure", async () => {
    const body = await a.ok("POST", `${v3}/keys/query`, { device_keys: { [bob.userId]: [], [`@carol:${UNREACHABLE}`]: [] } }, alice.token);
    // Device names stay on B (Synapse's allow_device_name_lookup_over_federation, off).
    expect(body.device_keys).toEqual({ [bob.userId]: { [bob.deviceId]: bobKeys } });
    expect(Object.keys(body.failures)).toEqual([UNREACHABLE]);
    expect(body.failures[UNREACHABLE].status).toBe(503);
  });

  test("the request's timeout bounds the wait: with 0, B is not waited for", async () => {
    const body = await a.ok("POST", `${v3}/keys/query`, { device_keys: { [bob.userId]: [] }, timeout: 0 }, alice.token);
    expect(body.device_keys).toEqual({});
    expect(Object.keys(body.failures)).toEqual([b.serverName]);
  });

  test("a device not asked for is left out", async () => {
    const body = await a.ok("POST", `${v3}/keys/query`, { device_keys: { [bob.userId]: ["OTHER"] } }, alice.token);
    expect(body.device_keys).toEqual({ [bob.userId]: {} });
    expect(body.failures).toEqual({});
  });

  test("Alice claims Bob's one-time keys, each once", async () => {
    const request = { one_time_keys: { [bob.userId]: { [bob.deviceId]: "signed_curve25519" }, [`@carol:${UNREACHABLE}`]: { DEV: "signed_curve25519" } } };
    const first = await a.ok("POST", `${v3}/keys/claim`, request, alice.token);
    const second = await a.ok("POST", `${v3}/keys/claim`, request, alice.token);
    const third = await a.ok("POST", `${v3}/keys/claim`, request, alice.token);
    const ids = [first, second].map((body) => Object.keys(body.one_time_keys[bob.userId][bob.deviceId])[0]);
    expect(ids.sort()).toEqual(["signed_curve25519:1", "signed_curve25519:2"]);
    expect(third.one_time_keys).toEqual({});
    expect(Object.keys(first.failures)).toEqual([UNREACHABLE]);
  });

  test("B lists Bob's devices for other servers", async () => {
    const answer = await a.federation.signed<any>(b.serverName, { method: "GET", path: `/_matrix/federation/v1/user/devices/${enc(bob.userId)}` });
    expect(answer.user_id).toBe(bob.userId);
    expect(typeof answer.stream_id).toBe("number");
    expect(answer.devices).toEqual([{ device_id: bob.deviceId, keys: bobKeys }]);
    const nobody = await a.federation.signed<any>(b.serverName, { method: "GET", path: `/_matrix/federation/v1/user/devices/${enc(`@nobody:${b.serverName}`)}` });
    expect(nobody.devices).toEqual([]);
  });

  test("B refuses key queries about other servers' users and bad input", async () => {
    expect(await refusal("/_matrix/federation/v1/user/keys/query", { method: "POST", body: { device_keys: { [alice.userId]: [] } } }))
      .toEqual({ status: 400, errcode: "M_INVALID_PARAM" });
    expect(await refusal(`/_matrix/federation/v1/user/devices/${enc(alice.userId)}`)).toEqual({ status: 400, errcode: "M_INVALID_PARAM" });
    expect(await refusal("/_matrix/federation/v1/user/keys/query", { method: "POST", body: { device_keys: "all" } })).toEqual({ status: 400, errcode: "M_BAD_JSON" });
    expect(await refusal("/_matrix/federation/v1/user/keys/claim", { method: "POST", body: {} })).toEqual({ status: 400, errcode: "M_BAD_JSON" });
    expect(await refusal("/_matrix/federation/v1/user/keys/query", { method: "POST", body: { device_keys: { "not a user": [] } } }))
      .toEqual({ status: 400, errcode: "M_INVALID_PARAM" });
    // Claims for other servers' users find nothing (as Synapse).
    const claimed = await a.federation.signed(b.serverName, { method: "POST", path: "/_matrix/federation/v1/user/keys/claim", body: { one_time_keys: { [alice.userId]: { X: "signed_curve25519" } } } });
    expect(claimed).toEqual({ one_time_keys: {} });
  });
});

describe("request authentication", () => {
  const url = () => `https://${b.serverName}/_matrix/federation/v1/query/profile?user_id=${enc(bob.userId)}`;
  const fetchB = (headers: Record<string, string>) => fetch(url(), { headers, tls: { rejectUnauthorized: false } } as RequestInit);

  test("B refuses an unsigned request", async () => {
    const response = await fetchB({});
    expect(response.status).toBe(401);
    expect(((await response.json()) as { errcode?: string }).errcode).toBe("M_UNAUTHORIZED");
  });

  test("B refuses a request signed with a key that is not A's", async () => {
    const target = new URL(url());
    const wrongKey = { ...generateSigningKey(nativeEd25519), keyId: a.signingKey.keyId };
    const authorization = xMatrixAuthorization(
      { method: "GET", uri: target.pathname + target.search, origin: a.serverName, destination: b.serverName }, wrongKey, nativeEd25519,
    );
    const response = await fetchB({ Authorization: authorization });
    expect(response.status).toBe(401);
    expect(((await response.json()) as { errcode?: string }).errcode).toBe("M_UNAUTHORIZED");
  });
});

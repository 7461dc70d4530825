// The outbound queries over a fake transport: what is asked of whom, what is kept of the answers
// (users of the server asked only, self-signed devices only), the deadline and the errors.
import { describe, expect, test } from "bun:test";
import { askAll, createRemoteDeviceKeys, keepAsked, keepClaimed } from "../../src/federation/queries-keys.ts";
import { createRemoteAliases, createRemoteProfiles, REMOTE_PROFILE_CACHE_MS } from "../../src/federation/queries.ts";
import { FederationRequestError, type FederationRequest, type FederationTransport } from "../../src/federation/transport.ts";
import { MatrixError } from "../../src/protocol/matrix-error.ts";
import { nativeEd25519 } from "../../src/protocol/ed25519.ts";
import { deviceSigner } from "../helpers/device-keys.ts";

/** A transport whose answers come from `answer` per destination; it records the requests. */
function fakeTransport(answer: (destination: string, request: FederationRequest) => Promise<unknown>) {
  const requests: [string, FederationRequest][] = [];
  const transport: FederationTransport = {
    signed: async <T>(destination: string, request: FederationRequest) => (requests.push([destination, request]), (await answer(destination, request)) as T),
    unsigned: async () => {
      throw new Error("not used");
    },
  };
  return { transport, requests };
}

const bob = { userId: "@bob:b.test", deviceId: "BOBDEV" };
const bobSigner = deviceSigner(bob);
const bobKeys = bobSigner.deviceKeys();
const master = (userId: string) => ({ user_id: userId, usage: ["master"], keys: { "ed25519:m": "m" } });

describe("keepAsked", () => {
  test("keeps the users and devices asked of the server, with valid self-signatures", () => {
    const other = deviceSigner({ userId: "@bob:b.test", deviceId: "OTHER" }).deviceKeys();
    const forged = { ...deviceSigner(bob).deviceKeys(), keys: { ...(bobKeys.keys as object), "curve25519:BOBDEV": "forged" } };
    const answer = {
      device_keys: {
        [bob.userId]: { BOBDEV: bobKeys, OTHER: other, WRONGID: bobKeys },
        "@eve:b.test": { EVE: deviceSigner({ userId: "@eve:b.test", deviceId: "EVE" }).deviceKeys() },
        "@mallory:elsewhere.test": { M: deviceSigner({ userId: "@mallory:elsewhere.test", deviceId: "M" }).deviceKeys() },
      },
      master_keys: { [bob.userId]: master(bob.userId), "@mallory:elsewhere.test": master("@mallory:elsewhere.test") },
      self_signing_keys: { [bob.userId]: master(bob.userId) },
      user_signing_keys: { [bob.userId]: { user_id: bob.userId, usage: ["user_signing"], keys: {} } },
    };
    const kept = keepAsked({ [bob.userId]: [] }, answer, nativeEd25519);
    expect(kept.device_keys).toEqual({ [bob.userId]: { BOBDEV: bobKeys, OTHER: other } });
    expect(kept.master_keys).toEqual({ [bob.userId]: master(bob.userId) });
    // A master key offered as self-signing key is not one.
    expect(kept.self_signing_keys).toEqual({});
    expect(keepAsked({ [bob.userId]: ["OTHER"] }, answer, nativeEd25519).device_keys).toEqual({ [bob.userId]: { OTHER: other } });
    const tampered = keepAsked({ [bob.userId]: [] }, { device_keys: { [bob.userId]: { BOBDEV: forged } } }, nativeEd25519);
    expect(tampered.device_keys).toEqual({ [bob.userId]: {} });
    expect(keepAsked({ [bob.userId]: [] }, "garbage", nativeEd25519)).toEqual({ device_keys: {}, master_keys: {}, self_signing_keys: {} });
  });
});

describe("keepClaimed", () => {
  test("keeps keys of the devices and algorithm asked", () => {
    const answer = {
      one_time_keys: {
        [bob.userId]: { BOBDEV: { "signed_curve25519:1": { key: "k" }, "curve25519:2": "other algorithm" }, OTHER: { "signed_curve25519:3": { key: "k3" } } },
        "@mallory:elsewhere.test": { M: { "signed_curve25519:4": { key: "k4" } } },
      },
    };
    expect(keepClaimed({ [bob.userId]: { BOBDEV: "signed_curve25519" } }, answer)).toEqual({ [bob.userId]: { BOBDEV: { "signed_curve25519:1": { key: "k" } } } });
    expect(keepClaimed({ [bob.userId]: { BOBDEV: "signed_curve25519" } }, { one_time_keys: [] })).toEqual({});
  });
});

describe("askAll", () => {
  test("stops waiting at the deadline and reports the servers that did not answer", async () => {
    const started = Date.now();
    const { answers, failures } = await askAll(["fast.test", "slow.test"], 200, (destination) =>
      destination === "fast.test" ? Promise.resolve("ok") : new Promise(() => {}),
    );
    expect(Date.now() - started).toBeLessThan(2000);
    expect(Date.now() - started).toBeGreaterThanOrEqual(190);
    expect([...answers]).toEqual([["fast.test", "ok"]]);
    expect(Object.keys(failures)).toEqual(["slow.test"]);
    expect(failures["slow.test"]!.status).toBe(503);
  });

  test("gives each request the time left, and none after the deadline", async () => {
    const given: number[] = [];
    const { failures } = await askAll(["a.test"], 0, async (_d, timeLeft) => void given.push(timeLeft));
    expect(given).toEqual([]);
    expect(Object.keys(failures)).toEqual(["a.test"]);
    await askAll(["a.test"], 5000, async (_d, timeLeft) => void given.push(timeLeft));
    expect(given[0]).toBeGreaterThan(4000);
    expect(given[0]).toBeLessThanOrEqual(5000);
  });
});

describe("createRemoteDeviceKeys", () => {
  test("asks each server about its users only, merges the answers and lists failures by server", async () => {
    const { transport, requests } = fakeTransport(async (destination) => {
      if (destination === "down.test") throw new FederationRequestError(destination, "cannot reach down.test");
      if (destination === "angry.test") throw new FederationRequestError(destination, "angry.test answered 500", 500, "M_UNKNOWN");
      // b.test also answers for a user of c.test it was not asked about.
      return { device_keys: { [bob.userId]: { BOBDEV: bobKeys }, "@carol:c.test": { C: {} } } };
    });
    const remote = createRemoteDeviceKeys({ transport, ed25519: nativeEd25519 });
    const result = await remote.query({ [bob.userId]: [], "@dan:down.test": [], "@ann:angry.test": ["X"] }, 1000);
    expect(requests.map(([destination, request]) => [destination, request.path, request.body])).toEqual([
      ["b.test", "/_matrix/federation/v1/user/keys/query", { device_keys: { [bob.userId]: [] } }],
      ["down.test", "/_matrix/federation/v1/user/keys/query", { device_keys: { "@dan:down.test": [] } }],
      ["angry.test", "/_matrix/federation/v1/user/keys/query", { device_keys: { "@ann:angry.test": ["X"] } }],
    ]);
    expect(result.device_keys).toEqual({ [bob.userId]: { BOBDEV: bobKeys } });
    expect(result.failures).toEqual({
      "down.test": { status: 503, message: "cannot reach down.test" },
      "angry.test": { status: 500, message: "angry.test answered 500" },
    });
  });

  test("claims per server and drops keys of users not asked", async () => {
    const { transport, requests } = fakeTransport(async () => ({
      one_time_keys: { [bob.userId]: { BOBDEV: { "signed_curve25519:1": { key: "k" } } }, "@eve:evil.test": { E: { "signed_curve25519:2": "k" } } },
    }));
    const result = await createRemoteDeviceKeys({ transport, ed25519: nativeEd25519 }).claim({ [bob.userId]: { BOBDEV: "signed_curve25519" } }, 1000);
    expect(requests[0]![1].body).toEqual({ one_time_keys: { [bob.userId]: { BOBDEV: "signed_curve25519" } } });
    expect(result).toEqual({ one_time_keys: { [bob.userId]: { BOBDEV: { "signed_curve25519:1": { key: "k" } } } }, failures: {} });
  });
});

describe("createRemoteProfiles", () => {
  test("asks the user's server, keeps the answer for REMOTE_PROFILE_CACHE_MS, drops non-string names", async () => {
    let clock = 0;
    const { transport, requests } = fakeTransport(async () => ({ displayname: "Bob", avatar_url: 7, "m.tz": "Europe/Paris", gone: null }));
    const profiles = createRemoteProfiles({ transport, now: () => clock });
    expect(await profiles.profile(bob.userId)).toEqual({ displayname: "Bob", "m.tz": "Europe/Paris" });
    expect(requests.map(([d, r]) => [d, r.path, r.query])).toEqual([["b.test", "/_matrix/federation/v1/query/profile", { user_id: bob.userId }]]);
    clock = REMOTE_PROFILE_CACHE_MS - 1;
    await profiles.profile(bob.userId);
    expect(requests.length).toBe(1);
    clock = REMOTE_PROFILE_CACHE_MS;
    await profiles.profile(bob.userId);
    expect(requests.length).toBe(2);
  });

  test("passes 404 and 403 on; anything else is 502", async () => {
    const failing = (error: unknown) => createRemoteProfiles({ transport: fakeTransport(async () => Promise.reject(error)).transport });
    const statusOf = (error: unknown) => failing(error).profile(bob.userId).then(() => null, (e: MatrixError) => [e.status, e.errcode]);
    expect(await statusOf(new FederationRequestError("b.test", "no", 404, "M_NOT_FOUND"))).toEqual([404, "M_NOT_FOUND"]);
    expect(await statusOf(new FederationRequestError("b.test", "no", 403, "M_FORBIDDEN"))).toEqual([403, "M_FORBIDDEN"]);
    expect(await statusOf(new FederationRequestError("b.test", "no", 401, "M_UNAUTHORIZED"))).toEqual([502, "M_UNKNOWN"]);
    expect(await statusOf(new FederationRequestError("b.test", "cannot reach"))).toEqual([502, "M_UNKNOWN"]);
    expect(await createRemoteProfiles({ transport: fakeTransport(async () => ["not", "an", "object"]).transport }).profile(bob.userId).catch((e: MatrixError) => e.status)).toBe(502);
  });
});

describe("createRemoteAliases", () => {
  test("answers the room and valid server names; 404 is null; other failures 502", async () => {
    const answering = (answer: () => Promise<unknown>) => createRemoteAliases({ transport: fakeTransport(answer).transport });
    expect(await answering(async () => ({ room_id: "!r:b.test", servers: ["b.test", "bad server", 3] })).resolve("#a:b.test")).toEqual({ room_id: "!r:b.test", servers: ["b.test"] });
    expect(await answering(async () => ({ room_id: "r", servers: [] })).resolve("#a:b.test")).toBeNull();
    expect(await answering(() => Promise.reject(new FederationRequestError("b.test", "no", 404, "M_NOT_FOUND"))).resolve("#a:b.test")).toBeNull();
    const error = await answering(() => Promise.reject(new FederationRequestError("b.test", "down"))).resolve("#a:b.test").catch((e: MatrixError) => e);
    expect([(error as MatrixError).status, (error as MatrixError).errcode]).toEqual([502, "M_UNKNOWN"]);
  });
});

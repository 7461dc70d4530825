// E2EE key endpoints through HTTP: /keys/upload, /keys/query, /keys/claim, and their refusals.
// https://spec.matrix.org/v1.19/client-server-api/#key-management-api
import { afterAll, beforeAll, expect, test } from "bun:test";
import type { JsonObject } from "../../src/protocol/signed-json.ts";
import { deviceSigner } from "../helpers/device-keys.ts";
import { roomsTestServer, type RoomsTestServer, type Session } from "../helpers/rooms.ts";

let s: RoomsTestServer;
let alice: Session;
let bob: Session;
const v3 = "/_matrix/client/v3";
const expectError = (res: { status: number; body: any }, status: number, errcode: string) => expect([res.status, res.body?.errcode]).toEqual([status, errcode]);

const upload = (user: Session, body: unknown) => s.call("POST", `${v3}/keys/upload`, { token: user.token, body });
const query = (user: Session, body: unknown) => s.call("POST", `${v3}/keys/query`, { token: user.token, body });
const claim = (user: Session, body: unknown) => s.call("POST", `${v3}/keys/claim`, { token: user.token, body });

beforeAll(async () => {
  s = await roomsTestServer();
  alice = await s.register("alice");
  bob = await s.register("bob");
});
afterAll(() => s.close());

test("upload device keys and one-time keys; query returns them with the display name; counts", async () => {
  const d = deviceSigner(alice);
  const res = await upload(alice, { device_keys: d.deviceKeys(), one_time_keys: { ...d.otk("A1"), ...d.otk("A2"), "curve25519:plain": "raw" } });
  expect(res.status).toBe(200);
  expect(res.body.one_time_key_counts).toEqual({ signed_curve25519: 2, curve25519: 1 });
  // The same keys again: accepted, nothing added.
  expect((await upload(alice, { device_keys: d.deviceKeys(), one_time_keys: d.otk("A1") })).body.one_time_key_counts).toEqual({ signed_curve25519: 2, curve25519: 1 });

  const q = await query(bob, { device_keys: { [alice.userId]: [] } });
  expect(q.status).toBe(200);
  const keys = q.body.device_keys[alice.userId][alice.deviceId];
  expect(keys.keys[`ed25519:${alice.deviceId}`]).toBe(d.deviceKeys().keys[`ed25519:${alice.deviceId}`]);
  expect(keys.signatures[alice.userId][`ed25519:${alice.deviceId}`]).toBeString();
  expect(keys.unsigned).toBeUndefined(); // registered without a display name
  expect(q.body.failures).toEqual({});
  expect(q.body.master_keys).toEqual({});
  expect(q.body.self_signing_keys).toEqual({});
  expect(q.body.user_signing_keys).toEqual({});
  // Listed devices only; unknown users and devices answer empty.
  const listed = await query(bob, { device_keys: { [alice.userId]: ["NOPE"], "@nobody:test.local": [] } });
  expect(listed.body.device_keys).toEqual({ [alice.userId]: {}, "@nobody:test.local": {} });
  // Remote users are asked of their server (test/federation/queries-https.test.ts); one that cannot
  // be reached (loopback: refused by ip_range_blacklist) is a failure, its users left out.
  const remote = (await query(bob, { device_keys: { "@x:127.0.0.1:1": [] } })).body;
  expect(remote.device_keys).toEqual({});
  expect(Object.keys(remote.failures)).toEqual(["127.0.0.1:1"]);
});

test("upload refusals: wrong user or device, bad signature, changed keys, reused key id", async () => {
  const carol = await s.register("carol");
  const d = deviceSigner(carol);
  expectError(await upload(carol, { device_keys: { ...d.deviceKeys(), device_id: "OTHER" } }), 400, "M_INVALID_PARAM");
  expectError(await upload(carol, { device_keys: d.sign({ ...d.deviceKeys(), signatures: undefined, user_id: alice.userId } as JsonObject) }), 400, "M_INVALID_PARAM");
  const tampered = { ...d.deviceKeys(), algorithms: ["m.olm.v1.curve25519-aes-sha2"] };
  expectError(await upload(carol, { device_keys: tampered }), 400, "M_INVALID_PARAM");
  expectError(await upload(carol, { device_keys: "nope" }), 400, "M_INVALID_PARAM");
  // A signed one-time key before any device keys: nothing to check it with.
  expectError(await upload(carol, { one_time_keys: d.otk("C1") }), 400, "M_INVALID_PARAM");
  expect((await upload(carol, { device_keys: d.deviceKeys() })).status).toBe(200);
  // Other keys for the same device: refused, as Synapse.
  const other = deviceSigner(carol);
  expectError(await upload(carol, { device_keys: other.deviceKeys() }), 400, "M_INVALID_PARAM");
  // One-time key signed by another key; malformed names; same id with other content.
  expectError(await upload(carol, { one_time_keys: other.otk("C1") }), 400, "M_INVALID_PARAM");
  expectError(await upload(carol, { one_time_keys: { nocolon: "x" } }), 400, "M_INVALID_PARAM");
  expectError(await upload(carol, { one_time_keys: { "curve25519:x": 5 } }), 400, "M_INVALID_PARAM");
  expect((await upload(carol, { one_time_keys: d.otk("C1") })).body.one_time_key_counts).toEqual({ signed_curve25519: 1 });
  expectError(await upload(carol, { one_time_keys: d.otk("C1", "different") }), 400, "M_INVALID_PARAM");
  // Bad query and claim bodies.
  expectError(await query(carol, { device_keys: { "not-a-user": [] } }), 400, "M_INVALID_PARAM");
  expect((await query(carol, { device_keys: { [alice.userId]: "x" } })).status).toBe(400);
  expect((await claim(carol, { one_time_keys: { [alice.userId]: { D: 5 } } })).status).toBe(400);
  expect((await s.call("POST", `${v3}/keys/upload`, { body: {} })).status).toBe(401);
});

test("claim: one-time keys once each, then the fallback key (marked used), concurrency-safe", async () => {
  const dave = await s.register("dave");
  const d = deviceSigner(dave);
  const fallback = { "signed_curve25519:F1": d.sign({ key: "fb", fallback: true }) };
  let res = await upload(dave, { device_keys: d.deviceKeys(), one_time_keys: { ...d.otk("1"), ...d.otk("2"), ...d.otk("3") }, fallback_keys: fallback });
  expect(res.body.one_time_key_counts).toEqual({ signed_curve25519: 3 });
  const want = { one_time_keys: { [dave.userId]: { [dave.deviceId]: "signed_curve25519", UNKNOWN: "signed_curve25519" } } };
  // Three concurrent claims for three keys: each gets a different one.
  const results = await Promise.all([claim(bob, want), claim(bob, want), claim(bob, want)]);
  const got = results.map((r) => Object.keys(r.body.one_time_keys[dave.userId][dave.deviceId])[0]);
  expect(got.sort()).toEqual(["signed_curve25519:1", "signed_curve25519:2", "signed_curve25519:3"]);
  expect(results[0]!.body.one_time_keys[dave.userId].UNKNOWN).toBeUndefined();
  expect(results[0]!.body.failures).toEqual({});
  let sync = (await s.sync(dave)).body;
  expect(sync.device_one_time_keys_count).toEqual({});
  expect(sync.device_unused_fallback_key_types).toEqual(["signed_curve25519"]);
  // Out of one-time keys: the fallback key, again and again, now marked used.
  for (let i = 0; i < 2; i++) {
    res = await claim(bob, want);
    expect(res.body.one_time_keys[dave.userId][dave.deviceId]).toEqual(fallback);
  }
  sync = (await s.sync(dave)).body;
  expect(sync.device_unused_fallback_key_types).toEqual([]);
  // The same fallback key re-uploaded stays used; a new one replaces it unused.
  await upload(dave, { fallback_keys: fallback });
  expect((await s.sync(dave)).body.device_unused_fallback_key_types).toEqual([]);
  await upload(dave, { fallback_keys: { "signed_curve25519:F2": d.sign({ key: "fb2", fallback: true }) } });
  expect((await s.sync(dave)).body.device_unused_fallback_key_types).toEqual(["signed_curve25519"]);
  await upload(dave, { one_time_keys: d.otk("4") });
  expect((await s.sync(dave)).body.device_one_time_keys_count).toEqual({ signed_curve25519: 1 });
  expect(Object.keys((await claim(bob, want)).body.one_time_keys[dave.userId][dave.deviceId])).toEqual(["signed_curve25519:4"]);
});

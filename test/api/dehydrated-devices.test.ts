// Dehydrated devices (MSC3814, unstable org.matrix.msc3814.v1) through HTTP: upload with keys,
// get, delete, paging through the dehydrated device's to-device messages, refusals.
// https://github.com/matrix-org/matrix-spec-proposals/pull/3814
import { afterAll, beforeAll, expect, test } from "bun:test";
import { encodeBase64 } from "../../src/protocol/base64.ts";
import { nativeEd25519 } from "../../src/protocol/ed25519.ts";
import { signJson } from "../../src/protocol/signed-json.ts";
import { DEHYDRATED_EVENTS_PER_PAGE } from "../../src/sync/dehydrated-devices.ts";
import { roomsTestServer, type RoomsTestServer, type Session } from "../helpers/rooms.ts";

let s: RoomsTestServer;
let alice: Session;
let bob: Session;
let txn = 0;
const PATH = "/_matrix/client/unstable/org.matrix.msc3814.v1/dehydrated_device";
const expectError = (res: { status: number; body: any }, status: number, errcode: string) => expect([res.status, res.body?.errcode]).toEqual([status, errcode]);

/** A dehydrated device upload for `user` with device keys signed by the device's own key. */
function dehydratedDevice(user: Session, deviceId: string, extra: Record<string, unknown> = {}) {
  const seed = crypto.getRandomValues(new Uint8Array(32));
  const keyId = `ed25519:${deviceId}`;
  const deviceKeys = signJson(
    {
      user_id: user.userId, device_id: deviceId, dehydrated: true, algorithms: ["m.olm.v1.curve25519-aes-sha2"],
      keys: { [keyId]: encodeBase64(nativeEd25519.publicKey(seed)), [`curve25519:${deviceId}`]: deviceId },
    },
    user.userId, { keyId, seed }, nativeEd25519,
  );
  const fallback = signJson({ key: "fallbackkey", fallback: true }, user.userId, { keyId, seed }, nativeEd25519);
  return {
    device_id: deviceId,
    device_data: { algorithm: "org.matrix.msc3814.v2", device_pickle: "pickle", nonce: "nonce" },
    initial_device_display_name: "Dehydrated",
    device_keys: deviceKeys,
    fallback_keys: { [`signed_curve25519:AAAAAQ`]: fallback },
    ...extra,
  };
}
const put = (user: Session, body: unknown) => s.call("PUT", PATH, { token: user.token, body });
const sendTo = (user: Session, target: string, deviceId: string, content: Record<string, unknown>) =>
  s.ok("PUT", `/_matrix/client/v3/sendToDevice/m.room_key/d${++txn}`, { token: user.token, body: { messages: { [target]: { [deviceId]: content } } } });

beforeAll(async () => {
  s = await roomsTestServer();
  alice = await s.register("alice");
  bob = await s.register("bob");
});
afterAll(() => s.close());

test("no dehydrated device: GET and DELETE answer 404", async () => {
  expectError(await s.call("GET", PATH, { token: alice.token }), 404, "M_NOT_FOUND");
  expectError(await s.call("DELETE", PATH, { token: alice.token }), 404, "M_NOT_FOUND");
});

test("upload, get, keys queryable, device listed; a new upload replaces it and its messages", async () => {
  const res = await put(alice, dehydratedDevice(alice, "CURVEKEY1"));
  expect(res.status).toBe(200);
  expect(res.body).toEqual({ device_id: "CURVEKEY1" });
  expect((await s.ok("GET", PATH, { token: alice.token }))).toEqual({ device_id: "CURVEKEY1", device_data: { algorithm: "org.matrix.msc3814.v2", device_pickle: "pickle", nonce: "nonce" } });
  const devices = (await s.ok("GET", "/_matrix/client/v3/devices", { token: alice.token })).devices;
  expect(devices.map((d: any) => d.device_id).sort()).toEqual([alice.deviceId, "CURVEKEY1"].sort());
  const keys = await s.ok("POST", "/_matrix/client/v3/keys/query", { token: bob.token, body: { device_keys: { [alice.userId]: ["CURVEKEY1"] } } });
  expect(keys.device_keys[alice.userId].CURVEKEY1.dehydrated).toBe(true);

  await sendTo(bob, alice.userId, "CURVEKEY1", { session: 1 });
  expect((await s.ok("POST", `${PATH}/CURVEKEY1/events`, { token: alice.token, body: {} })).events).toHaveLength(1);
  expect((await put(alice, dehydratedDevice(alice, "CURVEKEY2"))).status).toBe(200);
  expect((await s.ok("GET", PATH, { token: alice.token })).device_id).toBe("CURVEKEY2");
  const after = (await s.ok("GET", "/_matrix/client/v3/devices", { token: alice.token })).devices.map((d: any) => d.device_id);
  expect(after).not.toContain("CURVEKEY1");
  const gone = await s.ok("POST", "/_matrix/client/v3/keys/query", { token: bob.token, body: { device_keys: { [alice.userId]: ["CURVEKEY1"] } } });
  expect(gone.device_keys[alice.userId]?.CURVEKEY1).toBeUndefined();
  expectError(await s.call("POST", `${PATH}/CURVEKEY1/events`, { token: alice.token, body: {} }), 403, "M_FORBIDDEN");
});

test("events come in pages with next_batch until the last; nothing is deleted; GET ?from= works too", async () => {
  await put(alice, dehydratedDevice(alice, "PAGED"));
  const total = DEHYDRATED_EVENTS_PER_PAGE + 3;
  for (let i = 0; i < total; i++) await sendTo(bob, alice.userId, "PAGED", { i });
  const first = await s.ok("POST", `${PATH}/PAGED/events`, { token: alice.token, body: {} });
  expect(first.events).toHaveLength(DEHYDRATED_EVENTS_PER_PAGE);
  expect(first.events[0]).toEqual({ sender: bob.userId, type: "m.room_key", content: { i: 0 } });
  expect(first.next_batch).toBeString();
  const second = await s.ok("POST", `${PATH}/PAGED/events`, { token: alice.token, body: { next_batch: first.next_batch } });
  expect(second.events.map((e: any) => e.content.i)).toEqual([100, 101, 102]);
  expect(second.next_batch).toBeUndefined();
  // Not deleted: an aborted rehydration starts over.
  const again = await s.ok("GET", `${PATH}/PAGED/events?from=${first.next_batch}`, { token: alice.token });
  expect(again.events).toHaveLength(3);
  expect((await s.ok("GET", `${PATH}/PAGED/events`, { token: alice.token })).events).toHaveLength(DEHYDRATED_EVENTS_PER_PAGE);
  expectError(await s.call("POST", `${PATH}/PAGED/events`, { token: alice.token, body: { next_batch: "nope" } }), 400, "M_INVALID_PARAM");
  expectError(await s.call("POST", `${PATH}/PAGED/events`, { token: bob.token, body: {} }), 403, "M_FORBIDDEN");
});

test("DELETE removes it (no UIA) with its device and inbox", async () => {
  await put(alice, dehydratedDevice(alice, "TODELETE"));
  await sendTo(bob, alice.userId, "TODELETE", { x: 1 });
  const count = async () => (await s.db.db.$client`select count(*)::int as n from device_inbox where user_id = ${alice.userId} and device_id = 'TODELETE'`)[0]!.n;
  expect(await count()).toBe(1);
  expect(await s.ok("DELETE", PATH, { token: alice.token })).toEqual({ device_id: "TODELETE" });
  expectError(await s.call("GET", PATH, { token: alice.token }), 404, "M_NOT_FOUND");
  expect(await count()).toBe(0);
});

test("deleting the device through /delete_devices deletes the dehydrated device too", async () => {
  await put(bob, dehydratedDevice(bob, "BOBDEHYD"));
  await s.ok("POST", "/_matrix/client/v3/delete_devices", { token: bob.token, body: { devices: ["BOBDEHYD"], auth: { type: "m.login.password", identifier: { type: "m.id.user", user: "bob" }, password: "correct horse" } } });
  expectError(await s.call("GET", PATH, { token: bob.token }), 404, "M_NOT_FOUND");
});

test("refusals: bad keys leave no device; missing fields; another device's id; bad signature; no token", async () => {
  const carol = await s.register("carol");
  expectError(await put(carol, { device_id: "X", device_data: { algorithm: "a" } }), 400, "M_BAD_JSON");
  expectError(await put(carol, dehydratedDevice(carol, "X", { device_data: { nope: 1 } })), 400, "M_INVALID_PARAM");
  expectError(await put(carol, dehydratedDevice(carol, "")), 400, "M_INVALID_PARAM");
  expectError(await put(carol, dehydratedDevice(carol, carol.deviceId)), 400, "M_INVALID_PARAM");
  expectError(await put(carol, { ...dehydratedDevice(carol, "X"), device_keys: dehydratedDevice(alice, "X").device_keys }), 400, "M_INVALID_PARAM");
  const tampered = dehydratedDevice(carol, "X");
  (tampered.device_keys as any).algorithms = ["changed"];
  expectError(await put(carol, tampered), 400, "M_INVALID_PARAM");
  expectError(await s.call("GET", PATH, { token: carol.token }), 404, "M_NOT_FOUND");
  const devices = (await s.ok("GET", "/_matrix/client/v3/devices", { token: carol.token })).devices;
  expect(devices.map((d: any) => d.device_id)).toEqual([carol.deviceId]);
  expectError(await s.call("GET", PATH), 401, "M_MISSING_TOKEN");
});

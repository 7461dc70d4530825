// The device list stream: /sync device_lists (changed, left), GET /keys/changes, wake-ups.
// https://spec.matrix.org/v1.19/client-server-api/#tracking-the-device-list-for-a-user
import { afterAll, beforeAll, expect, test } from "bun:test";
import { deviceSigner } from "../helpers/device-keys.ts";
import { roomsTestServer, type RoomsTestServer, type Session } from "../helpers/rooms.ts";

let s: RoomsTestServer;
let alice: Session;
let bob: Session;
let roomId: string;
const v3 = "/_matrix/client/v3";
const upload = (user: Session, body: unknown) => s.ok("POST", `${v3}/keys/upload`, { token: user.token, body });
const sync = async (user: Session, params: Record<string, unknown> = {}) => (await s.ok("GET", `${v3}/sync?${new URLSearchParams(params as Record<string, string>)}`, { token: user.token }));
const deviceListsPart = (token: string) => Number(token.split("_")[7]);

beforeAll(async () => {
  s = await roomsTestServer();
  alice = await s.register("alice");
  bob = await s.register("bob");
  roomId = await s.createRoom(alice, { preset: "public_chat" });
  expect((await s.join(bob, roomId)).status).toBe(200);
});
afterAll(() => s.close());

test("new device keys: changed for users sharing a room, not for others; /keys/changes agrees", async () => {
  const loner = await s.register("loner");
  const before = await sync(bob);
  const lonerBefore = await sync(loner);
  await upload(alice, { device_keys: deviceSigner(alice).deviceKeys() });
  const after = await sync(bob, { since: before.next_batch });
  expect(after.device_lists.changed).toEqual([alice.userId]);
  expect(after.device_lists.left).toEqual([]);
  expect(deviceListsPart(after.next_batch)).toBeGreaterThan(deviceListsPart(before.next_batch));
  expect((await sync(loner, { since: lonerBefore.next_batch })).device_lists.changed).toEqual([]);
  // Nothing new since then.
  expect((await sync(bob, { since: after.next_batch })).device_lists).toEqual({ changed: [], left: [] });

  const changes = await s.ok("GET", `${v3}/keys/changes?from=${before.next_batch}&to=${after.next_batch}`, { token: bob.token });
  expect(changes).toEqual({ changed: [alice.userId], left: [] });
  expect(await s.ok("GET", `${v3}/keys/changes?from=${after.next_batch}&to=${after.next_batch}`, { token: bob.token })).toEqual({ changed: [], left: [] });
  const bad = await s.call("GET", `${v3}/keys/changes?from=nonsense&to=${after.next_batch}`, { token: bob.token });
  expect([bad.status, bad.body.errcode]).toEqual([400, "M_INVALID_PARAM"]);
  expect((await s.call("GET", `${v3}/keys/changes?from=${after.next_batch}`, { token: bob.token })).status).toBe(400);
});

test("a waiting sync wakes when a room member's device is deleted", async () => {
  const login = await s.ok("POST", `${v3}/login`, { body: { type: "m.login.password", identifier: { type: "m.id.user", user: "alice" }, password: "correct horse" } });
  const second = { userId: alice.userId, deviceId: login.device_id, token: login.access_token };
  await upload(second, { device_keys: deviceSigner(second).deviceKeys() });
  const since = (await sync(bob)).next_batch;
  const started = Date.now();
  const waiting = sync(bob, { since, timeout: "10000" });
  await Bun.sleep(100);
  await s.ok("POST", `${v3}/delete_devices`, {
    token: alice.token,
    body: { devices: [second.deviceId], auth: { type: "m.login.password", identifier: { type: "m.id.user", user: "alice" }, password: "correct horse" } },
  });
  const woken = await waiting;
  expect(Date.now() - started).toBeLessThan(5000);
  expect(woken.device_lists.changed).toEqual([alice.userId]);
  // Its keys are gone.
  const q = await s.ok("POST", `${v3}/keys/query`, { token: bob.token, body: { device_keys: { [alice.userId]: [] } } });
  expect(Object.keys(q.device_keys[alice.userId])).toEqual([alice.deviceId]);
});

test("joins put the new member in changed; leaving the last shared room puts them in left", async () => {
  const carol = await s.register("carol");
  const t0 = (await sync(bob)).next_batch;
  expect((await s.join(carol, roomId)).status).toBe(200);
  const t1 = await sync(bob, { since: t0 });
  expect(t1.device_lists.changed).toContain(carol.userId);
  // Carol's view: joining brings the room's members.
  const carolInitial = await sync(carol);
  const otherRoom = await s.createRoom(bob);
  const t2 = (await sync(carol, { since: carolInitial.next_batch })).next_batch;
  await s.invite(bob, otherRoom, carol.userId);
  await s.ok("POST", `${v3}/rooms/${encodeURIComponent(roomId)}/leave`, { token: carol.token, body: {} });
  const left = await sync(bob, { since: t1.next_batch });
  expect(left.device_lists.left).toEqual([carol.userId]);
  expect(left.device_lists.changed).not.toContain(carol.userId);
  // Carol, having left, sees alice and bob as left.
  const carolLeft = await sync(carol, { since: t2 });
  expect(carolLeft.device_lists.left.sort()).toEqual([alice.userId, bob.userId].sort());
});

test("the requester's own join: every member of the room is in changed", async () => {
  const dave = await s.register("dave");
  const t0 = (await sync(dave)).next_batch;
  expect((await s.join(dave, roomId)).status).toBe(200);
  const after = await sync(dave, { since: t0 });
  expect(after.device_lists.changed).toEqual(expect.arrayContaining([alice.userId, bob.userId]));
});

test("logging out deletes the device: its keys are gone and room members see the change", async () => {
  const login = await s.ok("POST", `${v3}/login`, { body: { type: "m.login.password", identifier: { type: "m.id.user", user: "alice" }, password: "correct horse" } });
  const laptop = { userId: alice.userId, deviceId: login.device_id, token: login.access_token };
  await upload(laptop, { device_keys: deviceSigner(laptop).deviceKeys() });
  const since = (await sync(bob)).next_batch;
  const query = () => s.ok("POST", `${v3}/keys/query`, { token: bob.token, body: { device_keys: { [alice.userId]: [] } } });
  expect(Object.keys((await query()).device_keys[alice.userId])).toContain(laptop.deviceId);
  expect((await s.call("POST", `${v3}/logout`, { token: laptop.token, body: {} })).status).toBe(200);
  expect(Object.keys((await query()).device_keys[alice.userId] ?? {})).not.toContain(laptop.deviceId);
  expect((await sync(bob, { since })).device_lists.changed).toEqual([alice.userId]);
});

test("deactivation deletes the user's device keys: members are told, and /keys/query shows no devices", async () => {
  const gone = await s.register("gone");
  const watcher = await s.register("watcher");
  const shared = await s.createRoom(watcher, { preset: "public_chat" });
  expect((await s.join(gone, shared)).status).toBe(200);
  await upload(gone, { device_keys: deviceSigner(gone).deviceKeys() });
  const query = async () => (await s.ok("POST", `${v3}/keys/query`, { token: watcher.token, body: { device_keys: { [gone.userId]: [] } } })).device_keys[gone.userId];
  expect(Object.keys(await query())).toEqual([gone.deviceId]);
  const before = await sync(watcher);
  await s.ok("POST", `${v3}/account/deactivate`, {
    token: gone.token,
    body: { auth: { type: "m.login.password", identifier: { type: "m.id.user", user: "gone" }, password: "correct horse" } },
  });
  expect(await query()).toEqual({});
  const after = await sync(watcher, { since: before.next_batch });
  // The user left the only shared room: `left` (their keys are of no more use to the watcher).
  expect(after.device_lists.left).toEqual([gone.userId]);
});

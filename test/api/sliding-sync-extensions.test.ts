// POST /v4/sync extensions (account_data, receipts, typing, to_device, e2ee) and the list's
// membership rules (kicked rooms stay, rooms left by the user go) through HTTP.
import { afterAll, beforeAll, expect, test } from "bun:test";
import { deviceSigner } from "../helpers/device-keys.ts";
import { roomsTestServer, type RoomsTestServer, type Session } from "../helpers/rooms.ts";

let s: RoomsTestServer;
let n = 0;
const v3 = "/_matrix/client/v3";
const enc = encodeURIComponent;
const user = () => s.register(`sx${++n}`);
const ss = async (u: Session, body: Record<string, unknown>) => {
  const res = await s.call("POST", "/_matrix/client/v4/sync", { token: u.token, body });
  if (res.status !== 200) throw new Error(`sliding sync: ${res.status} ${JSON.stringify(res.body)}`);
  return res.body;
};
const lists = { all: { range: [0, 9], timeline_limit: 1, required_state: {} } };

beforeAll(async () => {
  s = await roomsTestServer();
});
afterAll(() => s.close());

test("account_data: global and room data, then only changes", async () => {
  const alice = await user();
  const roomId = await s.createRoom(alice, { name: "AD" });
  await s.ok("PUT", `${v3}/user/${enc(alice.userId)}/account_data/org.example.g`, { token: alice.token, body: { v: 1 } });
  await s.ok("PUT", `${v3}/user/${enc(alice.userId)}/rooms/${enc(roomId)}/account_data/org.example.r`, { token: alice.token, body: { v: 2 } });
  const ext = { account_data: { enabled: true } };
  const first = await ss(alice, { lists, extensions: ext });
  const global = first.extensions.account_data.global;
  expect(global).toContainEqual({ type: "org.example.g", content: { v: 1 } });
  expect(global.map((e: any) => e.type)).toContain("m.push_rules");
  expect(first.extensions.account_data.rooms[roomId]).toEqual([{ type: "org.example.r", content: { v: 2 } }]);
  const quiet = await ss(alice, { pos: first.pos, lists, extensions: ext });
  expect(quiet.extensions.account_data).toEqual({ global: [], rooms: {} });
  await s.ok("PUT", `${v3}/user/${enc(alice.userId)}/account_data/org.example.g`, { token: alice.token, body: { v: 3 } });
  const changed = await ss(alice, { pos: quiet.pos, lists, extensions: ext, timeout: 5000 });
  expect(changed.extensions.account_data.global).toEqual([{ type: "org.example.g", content: { v: 3 } }]);
  // Not asked for: not there.
  expect((await ss(alice, { lists })).extensions).toEqual({});
});

test("receipts and typing of the selected rooms", async () => {
  const alice = await user();
  const bob = await user();
  const roomId = await s.createRoom(alice, { name: "RT", preset: "public_chat" });
  await s.join(bob, roomId);
  const eventId = await s.sendText(alice, roomId, "read me");
  const ext = { receipts: { enabled: true }, typing: { enabled: true } };
  const first = await ss(alice, { lists, extensions: ext });
  expect(first.extensions.typing).toEqual({ rooms: {} });
  await s.ok("POST", `${v3}/rooms/${enc(roomId)}/receipt/m.read/${enc(eventId)}`, { token: bob.token, body: {} });
  const receipt = await ss(alice, { pos: first.pos, lists, extensions: ext, timeout: 5000 });
  expect(receipt.extensions.receipts.rooms[roomId]).toMatchObject({ type: "m.receipt", content: { [eventId]: { "m.read": { [bob.userId]: { ts: expect.any(Number) } } } } });
  await s.ok("PUT", `${v3}/rooms/${enc(roomId)}/typing/${enc(bob.userId)}`, { token: bob.token, body: { typing: true, timeout: 30000 } });
  const typing = await ss(alice, { pos: receipt.pos, lists, extensions: ext, timeout: 5000 });
  expect(typing.extensions.typing.rooms[roomId]).toEqual({ type: "m.typing", content: { user_ids: [bob.userId] } });
  expect(typing.extensions.receipts).toEqual({ rooms: {} });
});

test("to_device: delivered, acknowledged by the next since; e2ee: one-time key counts and device list changes", async () => {
  const alice = await user();
  const bob = await user();
  const roomId = await s.createRoom(alice, { preset: "public_chat" });
  await s.join(bob, roomId);
  await s.ok("PUT", `${v3}/sendToDevice/m.test/t1`, { token: bob.token, body: { messages: { [alice.userId]: { [alice.deviceId]: { n: 1 } } } } });
  await s.ok("POST", `${v3}/keys/upload`, { token: alice.token, body: { one_time_keys: { "curve25519:k1": "raw" } } });
  const ext = { to_device: { enabled: true }, e2ee: { enabled: true } };
  const first = await ss(alice, { lists, extensions: ext });
  expect(first.extensions.to_device.events).toEqual([{ sender: bob.userId, type: "m.test", content: { n: 1 } }]);
  expect(first.extensions.e2ee.device_one_time_keys_count).toEqual({ curve25519: 1 });
  const next = await ss(alice, { pos: first.pos, lists, extensions: { ...ext, to_device: { enabled: true, since: first.extensions.to_device.next_batch } } });
  expect(next.extensions.to_device.events).toEqual([]);
  // Bob uploads keys: his device list changed for alice.
  await s.ok("POST", `${v3}/keys/upload`, { token: bob.token, body: { device_keys: deviceSigner(bob).deviceKeys() } });
  const lists2 = await ss(alice, { pos: next.pos, lists, extensions: ext });
  expect(lists2.extensions.e2ee.device_lists).toEqual({ changed: [bob.userId], left: [] });
});

test("kicked rooms stay listed; a room the user left is sent once to a connection that had it", async () => {
  const alice = await user();
  const bob = await user();
  const kicked = await s.createRoom(bob, { name: "kick", preset: "public_chat" });
  const left = await s.createRoom(bob, { name: "left", preset: "public_chat" });
  await s.join(alice, kicked);
  await s.join(alice, left);
  const first = await ss(alice, { lists });
  expect(first.lists.all.count).toBe(2);
  await s.ok("POST", `${v3}/rooms/${enc(kicked)}/kick`, { token: bob.token, body: { user_id: alice.userId } });
  await s.ok("POST", `${v3}/rooms/${enc(left)}/leave`, { token: alice.token, body: {} });
  await s.sendText(bob, left, "after leaving");
  const second = await ss(alice, { pos: first.pos, lists });
  expect(second.rooms[kicked]).toMatchObject({ membership: "leave" });
  expect(second.rooms[left]).toMatchObject({ membership: "leave" });
  // The timeline stops at the leave: nothing said after it.
  expect(second.rooms[left].timeline.map((e: any) => e.content.membership ?? e.content.body)).toEqual(["leave"]);
  // A new connection: the kicked room is there, the one left is not.
  const fresh = await ss(alice, { lists });
  expect(Object.keys(fresh.rooms)).toEqual([kicked]);
  expect(fresh.lists.all.count).toBe(1);
});

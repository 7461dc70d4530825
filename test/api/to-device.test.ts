// Send-to-device messaging through HTTP: PUT /sendToDevice, delivery in /sync, acknowledgement,
// idempotency, fan-out, limits and refusals.
// https://spec.matrix.org/v1.19/client-server-api/#send-to-device-messaging
import { afterAll, beforeAll, expect, test } from "bun:test";
import { MAX_TO_DEVICE_CONTENT_BYTES, MAX_TO_DEVICE_PER_SYNC } from "../../src/sync/to-device.ts";
import { roomsTestServer, type RoomsTestServer, type Session } from "../helpers/rooms.ts";

let s: RoomsTestServer;
let alice: Session;
let bob: Session;
let bob2: Session;
let txn = 0;
const expectError = (res: { status: number; body: any }, status: number, errcode: string) => expect([res.status, res.body?.errcode]).toEqual([status, errcode]);
const sync = async (user: Session, params: Record<string, unknown> = {}) => {
  const res = await s.sync(user, params);
  if (res.status !== 200) throw new Error(`sync: ${res.status} ${JSON.stringify(res.body)}`);
  return res.body;
};
const send = (user: Session, messages: Record<string, unknown>, type = "m.test", txnId = `t${++txn}`) =>
  s.call("PUT", `/_matrix/client/v3/sendToDevice/${encodeURIComponent(type)}/${txnId}`, { token: user.token, body: { messages } });
const login = async (localpart: string): Promise<Session> => {
  const body = await s.ok("POST", "/_matrix/client/v3/login", { body: { type: "m.login.password", identifier: { type: "m.id.user", user: localpart }, password: "correct horse" } });
  return { userId: body.user_id, deviceId: body.device_id, token: body.access_token };
};
/** Syncs until the inbox is drained and acknowledged; the token to continue from. */
const drain = async (user: Session) => {
  let token = (await sync(user)).next_batch;
  for (let i = 0; i < 50; i++) {
    const body = await sync(user, { since: token });
    token = body.next_batch;
    if (body.to_device.events.length === 0) return token;
  }
  throw new Error("inbox never drained");
};

beforeAll(async () => {
  s = await roomsTestServer();
  alice = await s.register("alice");
  bob = await s.register("bob");
  bob2 = await login("bob");
});
afterAll(() => s.close());

test("a message reaches the addressed device once, with sender and type; syncing past it deletes it", async () => {
  const since = await drain(bob);
  expect((await send(alice, { [bob.userId]: { [bob.deviceId]: { hello: "bob" } } }, "m.greeting")).status).toBe(200);
  const first = await sync(bob, { since });
  expect(first.to_device.events).toEqual([{ sender: alice.userId, type: "m.greeting", content: { hello: "bob" } }]);
  // The same since again: not acknowledged yet, delivered again.
  expect((await sync(bob, { since })).to_device.events).toHaveLength(1);
  // Syncing with the response's next_batch acknowledges it.
  const second = await sync(bob, { since: first.next_batch });
  expect(second.to_device.events).toEqual([]);
  expect((await sync(bob, { since })).to_device.events).toEqual([]);
  // The other device of bob got nothing.
  expect((await sync(bob2)).to_device.events.filter((e: any) => e.type === "m.greeting")).toEqual([]);
});

test("'*' fans out to every device of the user; unknown devices and remote users are dropped silently", async () => {
  const [a, b] = [await drain(bob), await drain(bob2)];
  const res = await send(alice, { [bob.userId]: { "*": { all: true } }, "@carol:elsewhere.example": { DEV: { x: 1 } }, [alice.userId]: { NOSUCHDEVICE: { x: 1 } } }, "m.fanout");
  expect(res.status).toBe(200);
  expect((await sync(bob, { since: a })).to_device.events).toEqual([{ sender: alice.userId, type: "m.fanout", content: { all: true } }]);
  expect((await sync(bob2, { since: b })).to_device.events).toEqual([{ sender: alice.userId, type: "m.fanout", content: { all: true } }]);
  expect((await sync(alice)).to_device.events).toEqual([]);
});

test("a device named and also reached by '*' gets the message addressed to it, once", async () => {
  const since = await drain(bob);
  await send(alice, { [bob.userId]: { "*": { via: "star" }, [bob.deviceId]: { via: "id" } } }, "m.both");
  expect((await sync(bob, { since })).to_device.events.map((e: any) => e.content)).toEqual([{ via: "id" }]);
});

test("the same transaction id from the same device is delivered once; from another device it is new", async () => {
  const since = await drain(bob);
  const alice2 = await login("alice");
  for (const sender of [alice, alice, alice2]) expect((await send(sender, { [bob.userId]: { [bob.deviceId]: { n: 1 } } }, "m.once", "same-txn")).status).toBe(200);
  expect((await sync(bob, { since })).to_device.events.map((e: any) => e.sender)).toEqual([alice.userId, alice.userId]);
});

test("messages come in order of arrival, at most the per-sync limit per response, the rest after", async () => {
  let since = await drain(bob);
  for (let i = 0; i < MAX_TO_DEVICE_PER_SYNC + 5; i++) await send(alice, { [bob.userId]: { [bob.deviceId]: { i } } }, "m.many");
  const first = await sync(bob, { since });
  expect(first.to_device.events.map((e: any) => e.content.i)).toEqual([...Array(MAX_TO_DEVICE_PER_SYNC).keys()]);
  since = first.next_batch;
  const second = await sync(bob, { since });
  expect(second.to_device.events.map((e: any) => e.content.i)).toEqual([100, 101, 102, 103, 104]);
  expect((await sync(bob, { since: second.next_batch })).to_device.events).toEqual([]);
});

test("a waiting /sync is woken by a message for its device", async () => {
  const since = await drain(bob);
  const started = Date.now();
  const waiting = sync(bob, { since, timeout: 10_000 });
  await Bun.sleep(100);
  await send(alice, { [bob.userId]: { [bob.deviceId]: { wake: true } } }, "m.wake");
  const body = await waiting;
  expect(body.to_device.events.map((e: any) => e.type)).toEqual(["m.wake"]);
  expect(Date.now() - started).toBeLessThan(5_000);
});

test("a deleted device's inbox goes with it", async () => {
  const carol = await s.register("carol");
  const carol2 = await login("carol");
  await send(alice, { [carol.userId]: { [carol2.deviceId]: { lost: true } } }, "m.lost");
  const count = async () => (await s.db.db.$client`select count(*)::int as n from device_inbox where user_id = ${carol.userId}`)[0]!.n;
  expect(await count()).toBe(1);
  await s.ok("POST", "/_matrix/client/v3/delete_devices", { token: carol.token, body: { devices: [carol2.deviceId], auth: { type: "m.login.password", identifier: { type: "m.id.user", user: "carol" }, password: "correct horse" } } });
  expect(await count()).toBe(0);
});

test("refusals: bad body, bad user ids, non-object content, content over the size limit", async () => {
  const put = (body: unknown) => s.call("PUT", `/_matrix/client/v3/sendToDevice/m.x/r${++txn}`, { token: alice.token, body });
  expectError(await put({}), 400, "M_BAD_JSON");
  expectError(await put({ messages: [] }), 400, "M_BAD_JSON");
  expectError(await put({ messages: { "not-a-user": { D: {} } } }), 400, "M_INVALID_PARAM");
  expectError(await put({ messages: { [bob.userId]: "x" } }), 400, "M_BAD_JSON");
  expectError(await put({ messages: { [bob.userId]: { D: [1] } } }), 400, "M_BAD_JSON");
  expectError(await put({ messages: { [bob.userId]: { [bob.deviceId]: { big: "x".repeat(MAX_TO_DEVICE_CONTENT_BYTES) } } } }), 413, "M_TOO_LARGE");
  expectError(await s.call("PUT", "/_matrix/client/v3/sendToDevice/m.x/t", { body: { messages: {} } }), 401, "M_MISSING_TOKEN");
});

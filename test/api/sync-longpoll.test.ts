// Long-polling /sync: returns at once when there is something, wakes on changes that concern the
// user (and only those), times out with nothing, and leaves no waiter behind when the client goes.
// https://spec.matrix.org/v1.19/client-server-api/#syncing
import { afterAll, beforeAll, expect, test } from "bun:test";
import { roomsTestServer, type RoomsTestServer, type Session } from "../helpers/rooms.ts";

let s: RoomsTestServer;
let alice: Session;
let bob: Session;
let roomId: string;
const enc = encodeURIComponent;

const sync = async (user: Session, params: Record<string, unknown> = {}) => {
  const res = await s.sync(user, params);
  if (res.status !== 200) throw new Error(`sync: ${res.status} ${JSON.stringify(res.body)}`);
  return res.body;
};

/** Starts a long poll; resolves with the body and how long it took. */
function poll(user: Session, since: string, timeout = 10_000) {
  const started = performance.now();
  return sync(user, { since, timeout }).then((body) => ({ body, ms: performance.now() - started }));
}

/** Lets a started poll reach its wait. */
const settle = () => Bun.sleep(50);

beforeAll(async () => {
  s = await roomsTestServer();
  alice = await s.register("alice");
  bob = await s.register("bob");
  roomId = await s.createRoom(alice, { preset: "public_chat" });
  await s.join(bob, roomId);
});
afterAll(() => s.close());

test("returns at once when there is something new, whatever the timeout", async () => {
  const start = await sync(bob);
  await s.sendText(alice, roomId, "already there");
  const { body, ms } = await poll(bob, start.next_batch);
  expect(ms).toBeLessThan(2_000);
  expect(body.rooms.join[roomId].timeline.events.at(-1).content.body).toBe("already there");
});

test("a message in a joined room wakes the waiting sync", async () => {
  const start = await sync(bob);
  const waiting = poll(bob, start.next_batch);
  await settle();
  expect(s.syncServices.notifier.waiting()).toBe(1);
  await s.sendText(alice, roomId, "wake up");
  const { body, ms } = await waiting;
  expect(ms).toBeLessThan(5_000);
  expect(body.rooms.join[roomId].timeline.events.map((e: any) => e.content.body)).toEqual(["wake up"]);
  expect(s.syncServices.notifier.waiting()).toBe(0);
});

test("changes elsewhere do not end the wait: it times out empty with the same position", async () => {
  const other = await s.createRoom(alice);
  const start = await sync(bob);
  const waiting = poll(bob, start.next_batch, 600);
  await settle();
  await s.sendText(alice, other, "not for bob");
  await s.ok("PUT", `/_matrix/client/v3/user/${enc(alice.userId)}/account_data/org.example`, { token: alice.token, body: {} });
  const { body, ms } = await waiting;
  expect(ms).toBeGreaterThanOrEqual(550);
  expect(body.rooms.join).toEqual({});
  expect(body.account_data.events).toEqual([]);
  // The answer is the one computed before the wait: the next poll reads on from the same place.
  expect(body.next_batch).toBe(start.next_batch);
});

test("an invite wakes the invited user", async () => {
  const carol = await s.register("carol");
  const room = await s.createRoom(alice);
  const start = await sync(carol);
  const waiting = poll(carol, start.next_batch);
  await settle();
  await s.invite(alice, room, carol.userId);
  const { body, ms } = await waiting;
  expect(ms).toBeLessThan(5_000);
  expect(Object.keys(body.rooms.invite)).toEqual([room]);
});

test("account data, typing and receipts wake the users they concern", async () => {
  let start = await sync(bob);
  let waiting = poll(bob, start.next_batch);
  await settle();
  await s.ok("PUT", `/_matrix/client/v3/user/${enc(bob.userId)}/account_data/org.example.mine`, { token: bob.token, body: { x: 1 } });
  expect((await waiting).body.account_data.events).toEqual([{ type: "org.example.mine", content: { x: 1 } }]);

  start = await sync(bob);
  waiting = poll(bob, start.next_batch);
  await settle();
  await s.ok("PUT", `/_matrix/client/v3/rooms/${enc(roomId)}/typing/${enc(alice.userId)}`, { token: alice.token, body: { typing: true, timeout: 30_000 } });
  expect((await waiting).body.rooms.join[roomId].ephemeral.events[0]).toEqual({ type: "m.typing", content: { user_ids: [alice.userId] } });
  await s.ok("PUT", `/_matrix/client/v3/rooms/${enc(roomId)}/typing/${enc(alice.userId)}`, { token: alice.token, body: { typing: false } });

  const eventId = await s.sendText(bob, roomId, "read this");
  start = await sync(bob);
  waiting = poll(bob, start.next_batch);
  await settle();
  await s.ok("POST", `/_matrix/client/v3/rooms/${enc(roomId)}/receipt/m.read/${enc(eventId)}`, { token: alice.token, body: {} });
  const receipt = (await waiting).body.rooms.join[roomId].ephemeral.events.find((e: any) => e.type === "m.receipt");
  expect(Object.keys(receipt.content[eventId]["m.read"])).toEqual([alice.userId]);
});

test("a client that goes away leaves no waiter", async () => {
  const start = await sync(bob);
  const controller = new AbortController();
  const request = new Request(`http://localhost/_matrix/client/v3/sync?since=${start.next_batch}&timeout=30000`, {
    headers: { Authorization: `Bearer ${bob.token}` },
    signal: controller.signal,
  });
  const pending = s.app.handle(request, "127.0.0.1");
  await settle();
  expect(s.syncServices.notifier.waiting()).toBe(1);
  controller.abort();
  await pending;
  expect(s.syncServices.notifier.waiting()).toBe(0);
});

test("an initial sync and full_state never wait", async () => {
  const start = await sync(bob);
  const started = performance.now();
  await sync(bob, { timeout: 5_000 });
  await sync(bob, { since: start.next_batch, full_state: true, timeout: 5_000 });
  expect(performance.now() - started).toBeLessThan(2_000);
});

test("events the filter leaves out do not end the wait", async () => {
  const start = await sync(bob, { filter: { room: { timeline: { not_types: ["org.example.noise"] } } } });
  const started = performance.now();
  const waiting = sync(bob, { since: start.next_batch, timeout: 600, filter: { room: { timeline: { not_types: ["org.example.noise"] } } } });
  await settle();
  await s.send(alice, roomId, { n: 1 }, "org.example.noise");
  const body = await waiting;
  expect(performance.now() - started).toBeGreaterThanOrEqual(550);
  expect(body.rooms.join).toEqual({});
});

// Delivery to a local push gateway: the notify body with its counts and prio, invites,
// event_id_only, retries with backoff, giving up, rejected pushkeys, badge updates after
// receipts, blacklisted addresses, and Synapse's push options.
// https://spec.matrix.org/v1.19/client-server-api/#push-notifications
// https://spec.matrix.org/v1.19/push-gateway-api/#post_matrixpushv1notify
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import type { Server } from "bun";
import { createPushersRepo } from "../../src/storage/repos/pushers.ts";
import { roomsTestServer, type RoomsTestServer, type Session } from "../helpers/rooms.ts";

const v3 = "/_matrix/client/v3";
const enc = encodeURIComponent;
const NOTIFY = "/_matrix/push/v1/notify";

/** A push gateway that records what it receives and answers with `answer` (by request number). */
function startGateway(hostname = "127.0.0.1") {
  const received: { body: any; at: number }[] = [];
  const gateway = {
    received,
    answer: (_n: number): Response => Response.json({ rejected: [] }),
    server: undefined as unknown as Server<undefined>,
    get url() {
      return `http://${hostname}:${gateway.server.port}${NOTIFY}`;
    },
    /** Notifications about events (badge updates left out). */
    events: () => received.filter((r) => r.body.notification.event_id !== undefined),
  };
  gateway.server = Bun.serve({
    hostname,
    port: 0,
    fetch: async (request) => {
      received.push({ body: await request.json(), at: Date.now() });
      return gateway.answer(received.length);
    },
  });
  return gateway;
}
type Gateway = ReturnType<typeof startGateway>;

async function until(check: () => boolean | Promise<boolean>, what: string, ms = 5_000): Promise<void> {
  const end = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await Bun.sleep(10);
  }
}

let s: RoomsTestServer;
const gateways: Gateway[] = [];
const gateway = (hostname?: string) => {
  const started = startGateway(hostname);
  gateways.push(started);
  return started;
};

beforeAll(async () => {
  s = await roomsTestServer({ IP_RANGE_WHITELIST: '["127.0.0.1"]' });
  Object.assign(s.services.push.delivery.timings, { initialBackoffMs: 40, maxBackoffMs: 200 });
});
afterAll(async () => {
  await s.close();
  for (const started of gateways) started.server.stop(true);
});

const pusher = (url: string, overrides: Record<string, unknown> = {}) => ({
  kind: "http", app_id: "org.example.app.ios", pushkey: "key-1", app_display_name: "Example", device_display_name: "Phone",
  lang: "en", data: { url }, ...overrides,
});
const listPushers = async (user: Session) => (await s.ok("GET", `${v3}/pushers`, { token: user.token })).pushers as any[];
const receipt = (user: Session, roomId: string, eventId: string) => s.ok("POST", `${v3}/rooms/${enc(roomId)}/receipt/m.read/${enc(eventId)}`, { token: user.token, body: {} });

describe("delivery", () => {
  test("a message makes the recipient's gateway receive the spec's body, with counts and prio", async () => {
    const gw = gateway();
    const alice = await s.register("dm-alice");
    const bob = await s.register("dm-bob");
    await s.ok("PUT", `${v3}/profile/${enc(alice.userId)}/displayname`, { token: alice.token, body: { displayname: "Alice A." } });
    const dm = await s.createRoom(alice, { name: "Tea", invite: [bob.userId] });
    await s.join(bob, dm);
    await s.ok("POST", `${v3}/pushers/set`, { token: bob.token, body: pusher(gw.url, { pushkey: "bob-key", data: { url: gw.url, custom: "x" } }) });
    await s.ok("POST", `${v3}/pushers/set`, { token: alice.token, body: pusher(gw.url, { pushkey: "alice-key" }) });
    const before = Math.floor(Date.now() / 1000);

    const first = await s.sendText(alice, dm, "hello");
    await until(() => gw.events().length === 1, "the first push");
    const { notification } = gw.events()[0]!.body;
    expect(notification).toMatchObject({
      event_id: first, room_id: dm, type: "m.room.message", sender: alice.userId, sender_display_name: "Alice A.", room_name: "Tea",
      prio: "high", content: { msgtype: "m.text", body: "hello" }, counts: { unread: 1 },
    });
    expect(notification.devices).toHaveLength(1);
    const [device] = notification.devices;
    expect(device).toMatchObject({ app_id: "org.example.app.ios", pushkey: "bob-key", data: { custom: "x" }, tweaks: { sound: "default" } });
    expect(device.data.url).toBeUndefined();
    expect(device.pushkey_ts).toBeGreaterThanOrEqual(before - 1);
    expect(device.pushkey_ts).toBeLessThan(before + 60);
    expect(notification.user_is_target).toBeUndefined();

    // A second unread message in the same room: still one room with unread notifications.
    await s.sendText(alice, dm, "again");
    await until(() => gw.events().length === 2, "the second push");
    expect(gw.events()[1]!.body.notification.counts).toEqual({ unread: 1 });

    // A group room: a plain message is low priority, and the count is two rooms.
    const carol = await s.register("dm-carol");
    const group = await s.createRoom(alice, { preset: "public_chat" });
    await s.join(bob, group);
    await s.join(carol, group);
    const groupMessage = await s.sendText(alice, group, "to all");
    await until(() => gw.events().some((r) => r.body.notification.event_id === groupMessage), "the group push");
    const groupPush = gw.events().find((r) => r.body.notification.event_id === groupMessage)!.body.notification;
    expect([groupPush.prio, groupPush.counts, groupPush.devices[0].tweaks]).toEqual(["low", { unread: 2 }, undefined]);

    // A mention highlights: high priority.
    const mention = (await s.send(alice, group, { msgtype: "m.text", body: "bob!", "m.mentions": { user_ids: [bob.userId] } })).body.event_id;
    await until(() => gw.events().some((r) => r.body.notification.event_id === mention), "the mention push");
    const mentionPush = gw.events().find((r) => r.body.notification.event_id === mention)!.body.notification;
    expect([mentionPush.prio, mentionPush.devices[0].tweaks.highlight]).toEqual(["high", true]);

    // Reading everything: badge updates (counts only) bring the count down to zero.
    await receipt(bob, group, mention);
    await receipt(bob, dm, first);
    await until(() => gw.received.at(-1)?.body.notification.counts?.unread === 1, "a badge update to 1");
    const last = (await s.ok("GET", `${v3}/rooms/${enc(dm)}/messages?dir=b&limit=1`, { token: bob.token })).chunk[0].event_id;
    await receipt(bob, dm, last);
    await until(() => gw.received.at(-1)?.body.notification.counts?.unread === 0, "a badge update to 0");
    const badge = gw.received.at(-1)!.body.notification;
    expect(badge.event_id).toBeUndefined();
    expect(badge.devices[0]).toMatchObject({ app_id: "org.example.app.ios", pushkey: "bob-key", data: { custom: "x" } });
    // The sender is not notified of their own messages.
    expect(gw.events().filter((r) => r.body.notification.devices[0].pushkey === "alice-key")).toEqual([]);
  });

  test("an invite pushes to the invited user, with user_is_target", async () => {
    const gw = gateway();
    const alice = await s.register("inv-alice");
    const bob = await s.register("inv-bob");
    await s.ok("POST", `${v3}/pushers/set`, { token: bob.token, body: pusher(gw.url, { pushkey: "inv-key" }) });
    const roomId = await s.createRoom(alice, {});
    await s.invite(alice, roomId, bob.userId);
    await until(() => gw.events().length === 1, "the invite push");
    expect(gw.events()[0]!.body.notification).toMatchObject({ type: "m.room.member", user_is_target: true, content: { membership: "invite" }, counts: { unread: 1 } });
  });

  test("data.format event_id_only: ids, prio and counts only", async () => {
    const gw = gateway();
    const alice = await s.register("ids-alice");
    const bob = await s.register("ids-bob");
    const roomId = await s.createRoom(alice, { invite: [bob.userId] });
    await s.join(bob, roomId);
    await s.ok("POST", `${v3}/pushers/set`, { token: bob.token, body: pusher(gw.url, { pushkey: "ids-key", data: { url: gw.url, format: "event_id_only" } }) });
    const eventId = await s.sendText(alice, roomId, "secret");
    await until(() => gw.events().length === 1, "the push");
    expect(gw.events()[0]!.body).toEqual({
      notification: {
        event_id: eventId, room_id: roomId, prio: "high", counts: { unread: 1 },
        devices: [{ app_id: "org.example.app.ios", pushkey: "ids-key", pushkey_ts: expect.any(Number), data: { format: "event_id_only" } }],
      },
    });
  });

  test("a failing gateway is retried with growing delays, then the push arrives once", async () => {
    const gw = gateway();
    gw.answer = (n) => (n <= 3 ? new Response("down", { status: 502 }) : Response.json({ rejected: [] }));
    const alice = await s.register("retry-alice");
    const bob = await s.register("retry-bob");
    const roomId = await s.createRoom(alice, { invite: [bob.userId] });
    await s.join(bob, roomId);
    await s.ok("POST", `${v3}/pushers/set`, { token: bob.token, body: pusher(gw.url, { pushkey: "retry-key" }) });
    const eventId = await s.sendText(alice, roomId, "are you there");
    await until(() => gw.received.length >= 4, "four attempts");
    expect(gw.received.slice(0, 4).map((r) => r.body.notification.event_id)).toEqual([eventId, eventId, eventId, eventId]);
    const gaps = gw.received.slice(1, 4).map((r, i) => r.at - gw.received[i]!.at);
    // 40, 80, 160 ms (timer slack allowed, never shorter).
    expect(gaps[0]).toBeGreaterThanOrEqual(35);
    expect(gaps[1]).toBeGreaterThanOrEqual(75);
    expect(gaps[2]).toBeGreaterThanOrEqual(155);
    await Bun.sleep(300);
    expect(gw.received).toHaveLength(4);
    const repo = createPushersRepo(s.db.db);
    const [row] = await repo.ofUser(bob.userId);
    expect(await repo.deliveryState(row!.id)).toMatchObject({ failingSince: null, failedAttempts: 0, lastSuccessTs: expect.any(Number) });
  });

  test("a notification failing past the give-up time is dropped and the next one sent", async () => {
    const gw = gateway();
    gw.answer = () => new Response("down", { status: 500 });
    const alice = await s.register("giveup-alice");
    const bob = await s.register("giveup-bob");
    const roomId = await s.createRoom(alice, { invite: [bob.userId] });
    await s.join(bob, roomId);
    await s.ok("POST", `${v3}/pushers/set`, { token: bob.token, body: pusher(gw.url, { pushkey: "giveup-key" }) });
    const repo = createPushersRepo(s.db.db);
    const [row] = await repo.ofUser(bob.userId);
    const first = await s.sendText(alice, roomId, "one");
    await until(() => gw.received.length >= 2, "a retry");
    expect((await repo.deliveryState(row!.id))?.failedAttempts).toBeGreaterThanOrEqual(1);
    expect((await repo.deliveryState(row!.id))?.failingSince).toEqual(expect.any(Number));
    const second = await s.sendText(alice, roomId, "two");
    // A day later (the test clock), the first notification is given up at its next failure.
    s.clock.offset += 86_400_000 + 1;
    try {
      await until(() => gw.received.some((r) => r.body.notification.event_id === second), "the second notification tried");
    } finally {
      s.clock.offset -= 86_400_000 + 1;
    }
    const ids = gw.received.map((r) => r.body.notification.event_id).filter((id) => id !== undefined);
    expect(ids.indexOf(second)).toBeGreaterThan(ids.lastIndexOf(first));
  });

  test("a pushkey the gateway rejects loses its pusher", async () => {
    const gw = gateway();
    gw.answer = () => Response.json({ rejected: ["rejected-key"] });
    const alice = await s.register("rej-alice");
    const bob = await s.register("rej-bob");
    const roomId = await s.createRoom(alice, { invite: [bob.userId] });
    await s.join(bob, roomId);
    await s.ok("POST", `${v3}/pushers/set`, { token: bob.token, body: pusher(gw.url, { pushkey: "rejected-key" }) });
    await s.ok("POST", `${v3}/pushers/set`, { token: bob.token, body: pusher(gw.url, { pushkey: "kept-key", app_id: "org.example.kept" }) });
    await s.sendText(alice, roomId, "hi");
    await until(async () => (await listPushers(bob)).length === 1, "the rejected pusher removed");
    expect((await listPushers(bob))[0].pushkey).toBe("kept-key");
    // No more pushes to the rejected pushkey.
    await s.sendText(alice, roomId, "hi again");
    await until(() => gw.events().filter((r) => r.body.notification.devices[0].pushkey === "kept-key").length === 2, "the second push");
    expect(gw.events().filter((r) => r.body.notification.devices[0].pushkey === "rejected-key")).toHaveLength(1);
  });

  test("a blacklisted address is not contacted, and the attempt counts as a failure", async () => {
    const gw = gateway("127.0.0.2");
    const alice = await s.register("black-alice");
    const bob = await s.register("black-bob");
    const roomId = await s.createRoom(alice, { invite: [bob.userId] });
    await s.join(bob, roomId);
    await s.ok("POST", `${v3}/pushers/set`, { token: bob.token, body: pusher(gw.url, { pushkey: "black-key" }) });
    const repo = createPushersRepo(s.db.db);
    const [row] = await repo.ofUser(bob.userId);
    await s.sendText(alice, roomId, "hi");
    await until(async () => ((await repo.deliveryState(row!.id))?.failedAttempts ?? 0) >= 2, "failed attempts");
    expect(gw.received).toHaveLength(0);
  });
});

describe("push config: include_content false, group_unread_count_by_room false", () => {
  let t: RoomsTestServer;
  beforeAll(async () => {
    t = await roomsTestServer({ IP_RANGE_WHITELIST: '["127.0.0.1"]', PUSH__INCLUDE_CONTENT: "false", PUSH__GROUP_UNREAD_COUNT_BY_ROOM: "false" });
  });
  afterAll(() => t.close());

  test("no content in the push, and the count is of notifications, not rooms", async () => {
    const gw = gateway();
    const alice = await t.register("cfg-alice");
    const bob = await t.register("cfg-bob");
    const roomId = await t.createRoom(alice, { invite: [bob.userId] });
    await t.join(bob, roomId);
    await t.ok("POST", `${v3}/pushers/set`, { token: bob.token, body: pusher(gw.url) });
    await t.sendText(alice, roomId, "one");
    await until(() => gw.events().length === 1, "the first push");
    await t.sendText(alice, roomId, "two");
    await until(() => gw.events().length === 2, "the second push");
    const [first, second] = gw.events().map((r) => r.body.notification);
    expect([first.content, first.counts, second.counts]).toEqual([undefined, { unread: 1 }, { unread: 2 }]);
    expect(first.sender).toBe(alice.userId);
  });
});

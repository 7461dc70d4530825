// GET /notifications through HTTP: newest first with actions, read flag, room_id and ts;
// only=highlight; limit and from pagination; refusals.
// https://spec.matrix.org/v1.19/client-server-api/#get_matrixclientv3notifications
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { MAX_NOTIFICATIONS_LIMIT } from "../../src/push/notifications.ts";
import { roomsTestServer, type RoomsTestServer, type Session } from "../helpers/rooms.ts";

let s: RoomsTestServer;
let alice: Session;
let bob: Session;
let carol: Session;
let roomId: string;
const sent: string[] = [];
const enc = encodeURIComponent;
const v3 = "/_matrix/client/v3";
const list = (user: Session, query = "") => s.call("GET", `${v3}/notifications${query}`, { token: user.token });
const expectError = (res: { status: number; body: any }, status: number, errcode: string) => expect([res.status, res.body?.errcode]).toEqual([status, errcode]);

beforeAll(async () => {
  s = await roomsTestServer();
  alice = await s.register("alice");
  bob = await s.register("bob");
  carol = await s.register("carol");
  roomId = await s.createRoom(alice, { preset: "public_chat" });
  await s.join(bob, roomId);
  await s.join(carol, roomId);
  // m1..m5, m3 mentions bob.
  for (let i = 1; i <= 5; i++) {
    const content = i === 3 ? { msgtype: "m.text", body: `m${i}`, "m.mentions": { user_ids: [bob.userId] } } : { msgtype: "m.text", body: `m${i}` };
    sent.push((await s.send(alice, roomId, content)).body.event_id);
  }
});
afterAll(() => s.close());

describe("GET /notifications", () => {
  test("newest first, each with actions, the event (no room_id), read, room_id and ts", async () => {
    const before = Date.now();
    const res = await list(bob);
    expect(res.status).toBe(200);
    const { notifications, next_token } = res.body;
    expect(next_token).toBeUndefined();
    expect(notifications.map((n: any) => n.event.content.body)).toEqual(["m5", "m4", "m3", "m2", "m1"]);
    const [m5, , m3] = notifications;
    expect(m5).toMatchObject({ actions: ["notify"], read: false, room_id: roomId, event: { event_id: sent[4], sender: alice.userId, type: "m.room.message" } });
    expect(m5.event.room_id).toBeUndefined();
    expect(m3.actions).toEqual(["notify", { set_tweak: "sound", value: "default" }, { set_tweak: "highlight" }]);
    expect(m5.ts).toBeGreaterThan(before - 60_000);
    expect(m5.ts).toBeLessThanOrEqual(Date.now());
    // Nothing for the sender.
    expect((await list(alice)).body).toEqual({ notifications: [] });
  });

  test("only=highlight", async () => {
    const res = await list(bob, "?only=highlight");
    expect(res.body.notifications.map((n: any) => n.event.event_id)).toEqual([sent[2]]);
  });

  test("limit and from page through them; r0 too", async () => {
    const first = await s.ok("GET", `/_matrix/client/r0/notifications?limit=2`, { token: carol.token });
    expect(first.notifications.map((n: any) => n.event.content.body)).toEqual(["m5", "m4"]);
    expect(typeof first.next_token).toBe("string");
    const second = (await list(carol, `?limit=2&from=${enc(first.next_token)}`)).body;
    expect(second.notifications.map((n: any) => n.event.content.body)).toEqual(["m3", "m2"]);
    const third = (await list(carol, `?limit=2&from=${enc(second.next_token)}`)).body;
    expect(third.notifications.map((n: any) => n.event.content.body)).toEqual(["m1"]);
    expect(third.next_token).toBeUndefined();
    expect((await list(carol, "?limit=0")).body).toEqual({ notifications: [] });
    // A larger limit is lowered to the cap, not refused.
    expect((await list(carol, `?limit=${MAX_NOTIFICATIONS_LIMIT * 10}`)).body.notifications).toHaveLength(5);
  });

  test("read follows the receipts", async () => {
    await s.ok("POST", `${v3}/rooms/${enc(roomId)}/receipt/m.read/${enc(sent[1]!)}`, { token: carol.token, body: {} });
    const res = await list(carol);
    expect(res.body.notifications.map((n: any) => [n.event.content.body, n.read])).toEqual([["m5", false], ["m4", false], ["m3", false], ["m2", true], ["m1", true]]);
  });

  test("redacted events are served redacted", async () => {
    await s.call("PUT", `${v3}/rooms/${enc(roomId)}/redact/${enc(sent[3]!)}/r1`, { token: alice.token, body: {} });
    const m4 = (await list(bob)).body.notifications.find((n: any) => n.event.event_id === sent[3]);
    expect(m4.event.content).toEqual({});
  });

  test("several rooms merge newest first, and pages cross rooms", async () => {
    const dave = await s.register("dave");
    const rooms = [await s.createRoom(alice, { preset: "public_chat" }), await s.createRoom(alice, { preset: "public_chat" })];
    for (const room of rooms) await s.join(dave, room);
    const order: string[] = [];
    for (let i = 0; i < 6; i++) order.push((await s.send(alice, rooms[i % 2]!, { msgtype: "m.text", body: `r${i}` })).body.event_id);
    const seen: string[] = [];
    let from = "";
    for (let page = 0; page < 3; page++) {
      const body = (await list(dave, `?limit=2${from}`)).body;
      seen.push(...body.notifications.map((n: any) => n.event.event_id));
      from = body.next_token ? `&from=${enc(body.next_token)}` : "";
    }
    expect(seen).toEqual([...order].reverse());
    expect((await list(dave, `?limit=2${from}`)).body.notifications).toEqual([]);
  });

  test("refusals: bad from and limit, no token", async () => {
    expectError(await list(bob, "?from=abc"), 400, "M_INVALID_PARAM");
    expectError(await list(bob, "?from=-1"), 400, "M_INVALID_PARAM");
    expectError(await list(bob, "?limit=-1"), 400, "M_INVALID_PARAM");
    expectError(await list(bob, "?limit=ten"), 400, "M_INVALID_PARAM");
    expectError(await s.call("GET", `${v3}/notifications`), 401, "M_MISSING_TOKEN");
  });
});

// Push evaluation of sent events for the room's local members and the counts sync shows:
// per room and per thread, cleared by receipts (m.read, m.read.private, threaded) and by the
// user's own events, following rule changes at once.
// https://spec.matrix.org/v1.19/client-server-api/#receiving-notifications
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { roomsTestServer, type RoomsTestServer, type Session } from "../helpers/rooms.ts";

let s: RoomsTestServer;
let alice: Session;
let bob: Session;
let carol: Session;
const enc = encodeURIComponent;
const v3 = "/_matrix/client/v3";

/** Bob's counts in the room as sync's source gives them: [notifications, highlights], threads apart. */
async function counts(user: Session, roomId: string) {
  const room = (await s.services.push.unreadCounts.unreadCounts(user.userId, [roomId])).get(roomId);
  if (!room) return { total: [0, 0], main: [0, 0], threads: {} };
  const pair = (c: { notification_count: number; highlight_count: number }) => [c.notification_count, c.highlight_count];
  return { total: pair(room), main: pair(room.main), threads: Object.fromEntries([...room.threads].map(([id, c]) => [id, pair(c)])) };
}

const receipt = (user: Session, roomId: string, eventId: string, type = "m.read", body: Record<string, unknown> = {}) =>
  s.ok("POST", `${v3}/rooms/${enc(roomId)}/receipt/${type}/${enc(eventId)}`, { token: user.token, body });

async function roomWithAll(): Promise<string> {
  const roomId = await s.createRoom(alice, { preset: "public_chat" });
  for (const user of [bob, carol]) expect((await s.join(user, roomId)).status).toBe(200);
  return roomId;
}

beforeAll(async () => {
  s = await roomsTestServer();
  alice = await s.register("alice");
  bob = await s.register("bob");
  carol = await s.register("carol");
});
afterAll(() => s.close());

describe("evaluation", () => {
  test("a message notifies every other joined member, not the sender; a mention highlights", async () => {
    const roomId = await roomWithAll();
    await s.sendText(alice, roomId, "hello");
    expect((await counts(bob, roomId)).total).toEqual([1, 0]);
    expect((await counts(carol, roomId)).total).toEqual([1, 0]);
    expect((await counts(alice, roomId)).total).toEqual([0, 0]);
    await s.send(alice, roomId, { msgtype: "m.text", body: "bob!", "m.mentions": { user_ids: [bob.userId] } });
    expect((await counts(bob, roomId)).total).toEqual([2, 1]);
    expect((await counts(carol, roomId)).total).toEqual([2, 0]);
  });

  test("notices, edits, reactions and membership events do not notify (the default rules)", async () => {
    const roomId = await roomWithAll();
    const eventId = await s.sendText(alice, roomId, "one");
    await s.send(alice, roomId, { msgtype: "m.notice", body: "bot says hi" });
    await s.send(alice, roomId, { msgtype: "m.text", body: "* two", "m.new_content": { msgtype: "m.text", body: "two" }, "m.relates_to": { rel_type: "m.replace", event_id: eventId } });
    await s.send(bob, roomId, { "m.relates_to": { rel_type: "m.annotation", event_id: eventId, key: "👍" } }, "m.reaction");
    await s.setState(alice, roomId, "m.room.topic", "", { topic: "new" });
    expect((await counts(carol, roomId)).total).toEqual([1, 0]);
  });

  test("@room highlights when the sender has the power level for it, not otherwise", async () => {
    const roomId = await roomWithAll();
    const atRoom = { msgtype: "m.text", body: "@room look", "m.mentions": { room: true } };
    await s.send(carol, roomId, atRoom); // carol has 0, `room` needs 50
    expect((await counts(bob, roomId)).total).toEqual([1, 0]);
    await s.send(alice, roomId, atRoom); // the creator has 100
    expect((await counts(bob, roomId)).total).toEqual([2, 1]);
    // notifications.room lowered to 0: carol may now.
    const levels = (await s.getState(alice, roomId, "m.room.power_levels")).body;
    expect((await s.setState(alice, roomId, "m.room.power_levels", "", { ...levels, notifications: { room: 0 } })).status).toBe(200);
    await s.send(carol, roomId, atRoom);
    expect((await counts(bob, roomId)).total).toEqual([3, 2]);
  });

  test("room_member_count: in a room of two, .m.rule.room_one_to_one adds a sound; an invite notifies the invitee", async () => {
    const roomId = await s.createRoom(alice, { preset: "private_chat" });
    await s.invite(alice, roomId, bob.userId);
    const invite = await s.services.push.notifications.list(bob.userId, null, {});
    expect(invite.notifications[0]).toMatchObject({ room_id: roomId, event: { type: "m.room.member", state_key: bob.userId }, actions: ["notify", { set_tweak: "sound", value: "default" }] });
    await s.join(bob, roomId);
    await s.sendText(alice, roomId, "just us");
    const page = await s.services.push.notifications.list(bob.userId, null, {});
    expect(page.notifications[0]).toMatchObject({ room_id: roomId, actions: ["notify", { set_tweak: "sound", value: "default" }] });
  });

  test("rule changes apply to the next event: mute a room, a keyword that highlights, master rule", async () => {
    const roomId = await roomWithAll();
    const rule = (kind: string, id: string, suffix = "") => `${v3}/pushrules/global/${kind}/${enc(id)}${suffix}`;
    await s.sendText(alice, roomId, "before");
    expect((await counts(bob, roomId)).total).toEqual([1, 0]);
    await s.ok("PUT", rule("override", "mute"), { token: bob.token, body: { conditions: [{ kind: "event_match", key: "room_id", pattern: roomId }], actions: [] } });
    await s.sendText(alice, roomId, "muted");
    expect((await counts(bob, roomId)).total).toEqual([1, 0]);
    await s.ok("DELETE", rule("override", "mute"), { token: bob.token });
    await s.ok("PUT", rule("content", "cake"), { token: bob.token, body: { pattern: "cake", actions: ["notify", { set_tweak: "highlight" }] } });
    await s.sendText(alice, roomId, "Cake time!");
    expect((await counts(bob, roomId)).total).toEqual([2, 1]);
    expect((await counts(carol, roomId)).total).toEqual([3, 0]);
    await s.ok("PUT", rule("override", ".m.rule.master", "/enabled"), { token: carol.token, body: { enabled: true } });
    await s.sendText(alice, roomId, "cake again");
    expect((await counts(carol, roomId)).total).toEqual([3, 0]);
    expect((await counts(bob, roomId)).total).toEqual([3, 2]);
    await s.ok("PUT", rule("override", ".m.rule.master", "/enabled"), { token: carol.token, body: { enabled: false } });
    await s.ok("DELETE", rule("content", "cake"), { token: bob.token });
  });
});

describe("read positions", () => {
  test("m.read clears up to its event; m.read.private too, whichever is ahead counts", async () => {
    const roomId = await roomWithAll();
    const first = await s.sendText(alice, roomId, "1");
    const second = await s.sendText(alice, roomId, "2");
    await s.sendText(alice, roomId, "3");
    expect((await counts(bob, roomId)).total).toEqual([3, 0]);
    await receipt(bob, roomId, second);
    expect((await counts(bob, roomId)).total).toEqual([1, 0]);
    await receipt(bob, roomId, first, "m.read.private"); // behind m.read: no change
    expect((await counts(bob, roomId)).total).toEqual([1, 0]);
    const fourth = await s.sendText(alice, roomId, "4");
    await receipt(bob, roomId, fourth, "m.read.private");
    expect((await counts(bob, roomId)).total).toEqual([0, 0]);
    expect((await counts(carol, roomId)).total).toEqual([4, 0]);
  });

  test("sending an event reads what came before it", async () => {
    const roomId = await roomWithAll();
    await s.sendText(alice, roomId, "1");
    await s.sendText(alice, roomId, "2");
    await s.sendText(bob, roomId, "my reply");
    expect((await counts(bob, roomId)).total).toEqual([0, 0]);
    await s.sendText(alice, roomId, "3");
    expect((await counts(bob, roomId)).total).toEqual([1, 0]);
  });

  test("threads: counted apart, cleared by their own receipts; an unthreaded receipt clears all", async () => {
    const roomId = await roomWithAll();
    const root = await s.sendText(alice, roomId, "root");
    const inThread = (body: string) => ({ msgtype: "m.text", body, "m.relates_to": { rel_type: "m.thread", event_id: root } });
    const t1 = (await s.send(alice, roomId, inThread("t1"))).body.event_id;
    // A reaction to a threaded event would be in the thread; it does not notify, so a reply stands in.
    const t2 = (await s.send(alice, roomId, inThread("t2"))).body.event_id;
    const main = await s.sendText(alice, roomId, "main again");
    expect(await counts(bob, roomId)).toEqual({ total: [4, 0], main: [2, 0], threads: { [root]: [2, 0] } });
    await receipt(bob, roomId, t1, "m.read", { thread_id: root });
    expect(await counts(bob, roomId)).toEqual({ total: [3, 0], main: [2, 0], threads: { [root]: [1, 0] } });
    await receipt(bob, roomId, main, "m.read", { thread_id: "main" });
    expect(await counts(bob, roomId)).toEqual({ total: [1, 0], main: [0, 0], threads: { [root]: [1, 0] } });
    await receipt(carol, roomId, t2);
    expect((await counts(carol, roomId)).total).toEqual([1, 0]); // "main again" is after t2
    await receipt(carol, roomId, main);
    expect(await counts(carol, roomId)).toEqual({ total: [0, 0], main: [0, 0], threads: {} });
  });

  test("a reply in a thread by the user reads that thread only", async () => {
    const roomId = await roomWithAll();
    const root = await s.sendText(alice, roomId, "root");
    await s.send(alice, roomId, { msgtype: "m.text", body: "t1", "m.relates_to": { rel_type: "m.thread", event_id: root } });
    await s.send(bob, roomId, { msgtype: "m.text", body: "mine", "m.relates_to": { rel_type: "m.thread", event_id: root } });
    expect(await counts(bob, roomId)).toEqual({ total: [1, 0], main: [1, 0], threads: {} });
  });
});

describe("change notices", () => {
  test("onChange fires for notified users, the sender, and a user whose receipt moved", async () => {
    const roomId = await roomWithAll();
    const seen: string[] = [];
    s.services.push.unreadCounts.onChange((userId) => seen.push(userId));
    const eventId = await s.sendText(alice, roomId, "ping");
    await counts(bob, roomId); // waits for the evaluation
    expect(new Set(seen)).toEqual(new Set([alice.userId, bob.userId, carol.userId]));
    seen.length = 0;
    await receipt(carol, roomId, eventId);
    for (let i = 0; i < 50 && !seen.includes(carol.userId); i++) await Bun.sleep(10);
    expect(seen).toContain(carol.userId);
  });

  test("sync shows the counts with the event, per thread when asked", async () => {
    const roomId = await roomWithAll();
    const initial = await s.sync(bob);
    const root = await s.sendText(alice, roomId, "root");
    await s.send(alice, roomId, { msgtype: "m.text", body: "t", "m.relates_to": { rel_type: "m.thread", event_id: root }, "m.mentions": { user_ids: [bob.userId] } });
    const next = await s.sync(bob, { since: initial.body.next_batch, timeout: "0" });
    expect(next.body.rooms.join[roomId].unread_notifications).toEqual({ notification_count: 2, highlight_count: 1 });
    const threaded = await s.sync(bob, { since: initial.body.next_batch, timeout: "0", filter: { room: { timeline: { unread_thread_notifications: true } } } });
    expect(threaded.body.rooms.join[roomId].unread_thread_notifications).toEqual({ [root]: { notification_count: 1, highlight_count: 1 } });
  });
});

// Notifications past the retention leave event_push_actions and GET /notifications; unread
// ones keep counting (folded into event_push_summary) until the user reads past them.
import { afterAll, beforeAll, expect, test } from "bun:test";
import { NOTIFICATION_RETENTION_MS } from "../../src/push/notification-retention.ts";
import { roomsTestServer, type RoomsTestServer, type Session } from "../helpers/rooms.ts";

let s: RoomsTestServer;
let alice: Session;
let bob: Session;
const v3 = "/_matrix/client/v3";
const enc = encodeURIComponent;

beforeAll(async () => {
  s = await roomsTestServer();
  alice = await s.register("alice");
  bob = await s.register("bob");
});
afterAll(() => s.close());

const counts = async (roomId: string) => {
  const body = await s.ok("GET", `${v3}/sync`, { token: bob.token });
  return body.rooms.join[roomId]?.unread_notifications;
};
const readUpTo = (roomId: string, eventId: string) => s.ok("POST", `${v3}/rooms/${enc(roomId)}/receipt/m.read/${enc(eventId)}`, { token: bob.token, body: {} });

test("pruning keeps unread counts, drops read notifications and old ones from /notifications", async () => {
  const unread = await s.createRoom(alice, { preset: "public_chat" });
  const read = await s.createRoom(alice, { preset: "public_chat" });
  await s.join(bob, unread);
  await s.join(bob, read);
  await s.sendText(alice, unread, "one");
  await s.send(alice, unread, { msgtype: "m.text", body: "for bob", "m.mentions": { user_ids: [bob.userId] } });
  await s.sendText(alice, unread, "three");
  await s.sendText(alice, read, "a");
  const last = (await s.send(alice, read, { msgtype: "m.text", body: "b" })).body.event_id;
  await readUpTo(read, last);
  expect(await counts(unread)).toEqual({ notification_count: 3, highlight_count: 1 });
  expect(await counts(read)).toEqual({ notification_count: 0, highlight_count: 0 });
  expect((await s.ok("GET", `${v3}/notifications`, { token: bob.token })).notifications).toHaveLength(5);

  // Nothing is old yet: nothing is pruned.
  expect(await s.services.push.retention.pruneNow()).toBe(0);
  s.clock.offset += NOTIFICATION_RETENTION_MS + 60_000;
  expect(await s.services.push.retention.pruneNow()).toBeGreaterThanOrEqual(5);

  expect((await s.ok("GET", `${v3}/notifications`, { token: bob.token })).notifications).toEqual([]);
  expect(await counts(unread)).toEqual({ notification_count: 3, highlight_count: 1 });
  expect(await counts(read)).toEqual({ notification_count: 0, highlight_count: 0 });
  const summaries = async () => (await s.db.sql`select count(*)::int as n from event_push_summary where user_id = ${bob.userId}`)[0]!.n;
  expect(await summaries()).toBe(1);

  // New notifications add to the pruned ones; reading past them all clears both.
  const newest = (await s.send(alice, unread, { msgtype: "m.text", body: "four" })).body.event_id;
  expect(await counts(unread)).toEqual({ notification_count: 4, highlight_count: 1 });
  await readUpTo(unread, newest);
  expect(await counts(unread)).toEqual({ notification_count: 0, highlight_count: 0 });
  await s.services.push.retention.pruneNow();
  expect(await summaries()).toBe(0);
});

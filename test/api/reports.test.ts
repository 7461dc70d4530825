// Reporting events, rooms and users through HTTP, into content_reports.
// https://spec.matrix.org/v1.19/client-server-api/#reporting-content
import { afterAll, beforeAll, expect, test } from "bun:test";
import { MAX_REPORT_REASON_LENGTH } from "../../src/rooms/reports.ts";
import { roomEphemeralTestServer, type RoomEphemeralTestServer, type Session } from "./room-ephemeral-server.ts";

let s: RoomEphemeralTestServer;
let alice: Session;
let bob: Session;
const ROOM = "!reports:test.local";
const enc = encodeURIComponent;
const eventReport = (eventId: string, room = ROOM, version = "v3") => `/_matrix/client/${version}/rooms/${enc(room)}/report/${enc(eventId)}`;
const roomReport = (room: string) => `/_matrix/client/v3/rooms/${enc(room)}/report`;
const userReport = (userId: string) => `/_matrix/client/v3/users/${enc(userId)}/report`;
const expectError = (res: { status: number; body: any }, status: number, errcode: string) => expect([res.status, res.body?.errcode]).toEqual([status, errcode]);
const reports = async () =>
  (await s.db.sql`select kind, room_id, event_id, target_user_id, reporter, reason, score from content_reports order by id`).map((r) => ({ ...r }));

beforeAll(async () => {
  s = await roomEphemeralTestServer();
  alice = await s.register("alice");
  bob = await s.register("bob");
  s.rooms.addRoom(ROOM, { [alice.userId]: "join", [bob.userId]: "leave" });
  s.rooms.addEvent(ROOM, "$bad");
  s.rooms.addEvent(ROOM, "$hidden", [alice.userId]);
});
afterAll(() => s.close());

test("event, room and user reports are stored", async () => {
  expect(await s.call("POST", eventReport("$bad"), { token: alice.token, body: { reason: "spam", score: -100 } })).toEqual({ status: 200, body: {} });
  expect((await s.call("POST", eventReport("$bad", ROOM, "r0"), { token: alice.token, body: {} })).status).toBe(200);
  expect((await s.call("POST", roomReport(ROOM), { token: bob.token, body: { reason: "" } })).status).toBe(200); // not joined: still allowed
  expect((await s.call("POST", userReport(bob.userId), { token: alice.token, body: { reason: "rude" } })).status).toBe(200);
  expect(await reports()).toEqual([
    { kind: "event", room_id: ROOM, event_id: "$bad", target_user_id: null, reporter: alice.userId, reason: "spam", score: -100 },
    { kind: "event", room_id: ROOM, event_id: "$bad", target_user_id: null, reporter: alice.userId, reason: null, score: null },
    { kind: "room", room_id: ROOM, event_id: null, target_user_id: null, reporter: bob.userId, reason: "", score: null },
    { kind: "user", room_id: null, event_id: null, target_user_id: bob.userId, reporter: alice.userId, reason: "rude" , score: null },
  ]);
});

test("unknown and remote users: 200 without a report (existence is not disclosed)", async () => {
  const before = (await reports()).length;
  expect((await s.call("POST", userReport("@ghost:test.local"), { token: alice.token, body: { reason: "?" } })).status).toBe(200);
  expect((await s.call("POST", userReport("@someone:elsewhere.example"), { token: alice.token, body: { reason: "?" } })).status).toBe(200);
  expect((await reports()).length).toBe(before);
});

test("refusals: invisible or unknown event, not joined, unknown room, bad user id, bad bodies", async () => {
  const before = (await reports()).length;
  expectError(await s.call("POST", eventReport("$hidden"), { token: alice.token, body: { reason: "x" } }), 404, "M_NOT_FOUND");
  expectError(await s.call("POST", eventReport("$nope"), { token: alice.token, body: { reason: "x" } }), 404, "M_NOT_FOUND");
  expectError(await s.call("POST", eventReport("$bad"), { token: bob.token, body: { reason: "x" } }), 404, "M_NOT_FOUND");
  expectError(await s.call("POST", eventReport("$bad", "!unknown:test.local"), { token: alice.token, body: { reason: "x" } }), 404, "M_NOT_FOUND");
  expectError(await s.call("POST", roomReport("!unknown:test.local"), { token: alice.token, body: { reason: "x" } }), 404, "M_NOT_FOUND");
  expectError(await s.call("POST", userReport("not-a-user"), { token: alice.token, body: { reason: "x" } }), 400, "M_INVALID_PARAM");
  for (const body of [{ reason: 5 }, { score: "bad" }, { score: 1 }, { score: -101 }, { reason: "x".repeat(MAX_REPORT_REASON_LENGTH + 1) }]) {
    expectError(await s.call("POST", eventReport("$bad"), { token: alice.token, body }), 400, "M_BAD_JSON");
  }
  expectError(await s.call("POST", roomReport(ROOM), { token: alice.token, body: {} }), 400, "M_BAD_JSON");
  expectError(await s.call("POST", userReport(bob.userId), { token: alice.token, body: { reason: null } }), 400, "M_BAD_JSON");
  expectError(await s.call("POST", userReport(bob.userId), { token: alice.token, body: { reason: "x".repeat(MAX_REPORT_REASON_LENGTH + 1) } }), 400, "M_BAD_JSON");
  expectError(await s.call("POST", roomReport(ROOM), { token: alice.token, rawBody: "nope" }), 400, "M_NOT_JSON");
  expectError(await s.call("POST", roomReport(ROOM), { body: { reason: "x" } }), 401, "M_MISSING_TOKEN");
  expect((await reports()).length).toBe(before);
});

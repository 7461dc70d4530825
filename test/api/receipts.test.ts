// Receipts and read markers through HTTP, over the real receipts table and events rows, with a
// fake RoomReader for membership and visibility.
// https://spec.matrix.org/v1.19/client-server-api/#receipts
// https://spec.matrix.org/v1.19/client-server-api/#fully-read-markers
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { receiptEvents } from "../../src/rooms/receipts.ts";
import { roomEphemeralTestServer, type RoomEphemeralTestServer, type Session } from "./room-ephemeral-server.ts";

let s: RoomEphemeralTestServer;
let alice: Session;
let bob: Session;
const ROOM = "!receipts:test.local";
const enc = encodeURIComponent;
const receipt = (type: string, eventId: string, room = ROOM, version = "v3") => `/_matrix/client/${version}/rooms/${enc(room)}/receipt/${enc(type)}/${enc(eventId)}`;
const markers = (room = ROOM) => `/_matrix/client/v3/rooms/${enc(room)}/read_markers`;
const fullyRead = (userId: string) => `/_matrix/client/v3/user/${enc(userId)}/rooms/${enc(ROOM)}/account_data/m.fully_read`;
const stored = async (userId: string) =>
  (await s.db.sql`select receipt_type, thread_id, event_id from receipts where user_id = ${userId} order by stream_position`).map((r) => [r.receipt_type, r.thread_id, r.event_id]);

beforeAll(async () => {
  s = await roomEphemeralTestServer();
  alice = await s.register("alice");
  bob = await s.register("bob");
  s.rooms.addRoom(ROOM, { [alice.userId]: "join", [bob.userId]: "leave" });
  for (const id of ["$e1", "$e2", "$e3", "$root", "$m1"]) await s.insertEvent(ROOM, id);
  await s.insertEvent(ROOM, "$t1", { relatesTo: "$root", relType: "m.thread" });
  s.rooms.addEvent(ROOM, "$hidden", [alice.userId]);
});
afterAll(() => s.close());

const expectError = (res: { status: number; body: any }, status: number, errcode: string) => expect([res.status, res.body?.errcode]).toEqual([status, errcode]);

describe("POST /receipt", () => {
  test("m.read forward only (r0 too), m.read.private apart, the hook told each time", async () => {
    expect(await s.call("POST", receipt("m.read", "$e2"), { token: alice.token, body: {} })).toEqual({ status: 200, body: {} });
    expect((await s.call("POST", receipt("m.read", "$e1", ROOM, "r0"), { token: alice.token, body: {} })).status).toBe(200);
    expect((await s.call("POST", receipt("m.read.private", "$e3"), { token: alice.token, body: {} })).status).toBe(200);
    expect(await stored(alice.userId)).toEqual([["m.read", "", "$e2"], ["m.read.private", "", "$e3"]]);
    expect(s.hooked.receipts.map(([room]) => room)).toEqual([ROOM, ROOM]);
    const [first, second] = s.hooked.receipts.map(([, position]) => position);
    expect(second!).toBeGreaterThan(first!);
  });

  test("threaded receipts: main and a thread root, validated against the events' relations", async () => {
    expect((await s.call("POST", receipt("m.read", "$m1"), { token: alice.token, body: { thread_id: "main" } })).status).toBe(200);
    expect((await s.call("POST", receipt("m.read", "$t1"), { token: alice.token, body: { thread_id: "$root" } })).status).toBe(200);
    expectError(await s.call("POST", receipt("m.read", "$t1"), { token: alice.token, body: { thread_id: "main" } }), 400, "M_INVALID_PARAM");
    expectError(await s.call("POST", receipt("m.read", "$e1"), { token: alice.token, body: { thread_id: "$root" } }), 400, "M_INVALID_PARAM");
    expect((await stored(alice.userId)).filter(([, thread]) => thread !== "")).toEqual([["m.read", "main", "$m1"], ["m.read", "$root", "$t1"]]);
  });

  test("sync's read: others' private receipts hidden, thread ids in the content", async () => {
    const upTo = await s.ephemeral.receipts.position();
    const forBob = await s.ephemeral.receipts.changes([ROOM], bob.userId, 0, upTo);
    expect(forBob.map((r) => r.receiptType)).not.toContain("m.read.private");
    const events = receiptEvents(await s.ephemeral.receipts.changes([ROOM], alice.userId, 0, upTo));
    expect(events.map((e) => Object.keys(e.event.content))).toEqual([["$e2", "$e3"], ["$m1"], ["$t1"]]);
    expect(events[2]!.event.content.$t1).toEqual({ "m.read": { [alice.userId]: { ts: s.time.now(), thread_id: "$root" } } });
  });

  test("m.fully_read sets the read marker in room account data", async () => {
    expect((await s.call("POST", receipt("m.fully_read", "$e1"), { token: alice.token, body: {} })).status).toBe(200);
    expect((await s.call("GET", fullyRead(alice.userId), { token: alice.token })).body).toEqual({ event_id: "$e1" });
  });

  test("refusals: type, ids, thread_id, membership, visibility, body", async () => {
    const before = await stored(alice.userId);
    expectError(await s.call("POST", receipt("m.unread", "$e3"), { token: alice.token, body: {} }), 400, "M_INVALID_PARAM");
    expectError(await s.call("POST", receipt("m.read", "e3"), { token: alice.token, body: {} }), 400, "M_INVALID_PARAM");
    expectError(await s.call("POST", receipt("m.read", "$e3", "not-a-room"), { token: alice.token, body: {} }), 400, "M_INVALID_PARAM");
    for (const thread_id of ["", 5, null, "thread"]) {
      expectError(await s.call("POST", receipt("m.read", "$e3"), { token: alice.token, body: { thread_id } }), 400, "M_INVALID_PARAM");
    }
    expectError(await s.call("POST", receipt("m.fully_read", "$e3"), { token: alice.token, body: { thread_id: "main" } }), 400, "M_INVALID_PARAM");
    expectError(await s.call("POST", receipt("m.read", "$e3"), { token: bob.token, body: {} }), 403, "M_FORBIDDEN");
    expectError(await s.call("POST", receipt("m.read", "$e3", "!unknown:test.local"), { token: alice.token, body: {} }), 403, "M_FORBIDDEN");
    expectError(await s.call("POST", receipt("m.read", "$nope"), { token: alice.token, body: {} }), 404, "M_NOT_FOUND");
    expectError(await s.call("POST", receipt("m.read", "$hidden"), { token: alice.token, body: {} }), 404, "M_NOT_FOUND");
    expectError(await s.call("POST", receipt("m.read", "$e3"), { token: alice.token, rawBody: "[]" }), 400, "M_NOT_JSON");
    expectError(await s.call("POST", receipt("m.read", "$e3"), { token: alice.token, rawBody: "{" }), 400, "M_NOT_JSON");
    expectError(await s.call("POST", receipt("m.read", "$e3"), { body: {} }), 401, "M_MISSING_TOKEN");
    expect(await stored(alice.userId)).toEqual(before);
    expect(await stored(bob.userId)).toEqual([]);
  });
});

describe("POST /read_markers", () => {
  test("fully read marker and both receipts in one call; unknown keys ignored", async () => {
    const body = { "m.fully_read": "$e2", "m.read": "$e3", "m.read.private": "$e3", "org.example.marker": "$e1" };
    expect(await s.call("POST", markers(), { token: alice.token, body })).toEqual({ status: 200, body: {} });
    expect((await s.call("GET", fullyRead(alice.userId), { token: alice.token })).body).toEqual({ event_id: "$e2" });
    const unthreaded = (await stored(alice.userId)).filter(([, thread]) => thread === "");
    expect(unthreaded.sort()).toEqual([["m.read", "", "$e3"], ["m.read.private", "", "$e3"]]);
  });

  test("an empty body changes nothing", async () => {
    expect((await s.call("POST", markers(), { token: alice.token, body: {} })).status).toBe(200);
  });

  test("refusals leave every marker as it was", async () => {
    const before = await stored(alice.userId);
    expectError(await s.call("POST", markers(), { token: alice.token, body: { "m.fully_read": "$e1", "m.read": "$hidden" } }), 404, "M_NOT_FOUND");
    expectError(await s.call("POST", markers(), { token: alice.token, body: { "m.fully_read": 12 } }), 400, "M_BAD_JSON");
    expectError(await s.call("POST", markers(), { token: alice.token, body: { "m.read": "e1" } }), 400, "M_INVALID_PARAM");
    expectError(await s.call("POST", markers(), { token: bob.token, body: { "m.fully_read": "$e1" } }), 403, "M_FORBIDDEN");
    expectError(await s.call("POST", markers(), { token: alice.token, rawBody: "null" }), 400, "M_NOT_JSON");
    expect((await s.call("GET", fullyRead(alice.userId), { token: alice.token })).body).toEqual({ event_id: "$e2" });
    expect(await stored(alice.userId)).toEqual(before);
  });

  test("m.fully_read still cannot be written as plain account data", async () => {
    expectError(await s.call("PUT", fullyRead(alice.userId), { token: alice.token, body: { event_id: "$e3" } }), 405, "M_BAD_JSON");
  });
});

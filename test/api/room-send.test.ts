// PUT /rooms/{roomId}/send/{eventType}/{txnId}: transaction ids, size and format limits, power
// levels, and the event types /send refuses.
// https://spec.matrix.org/v1.19/client-server-api/#put_matrixclientv3roomsroomidsendeventtypetxnid
// https://spec.matrix.org/v1.19/client-server-api/#transaction-identifiers
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { roomsTestServer, type RoomsTestServer, type Session } from "../helpers/rooms.ts";

let server: RoomsTestServer;
let alice: Session;
let bob: Session;
let roomId: string;
const v3 = "/_matrix/client/v3";
const enc = encodeURIComponent;

beforeAll(async () => {
  server = await roomsTestServer({ ALLOW_GUEST_ACCESS: "true" });
  alice = await server.register("alice");
  bob = await server.register("bob");
  roomId = await server.createRoom(alice, { preset: "public_chat" });
  await server.join(bob, roomId);
});
afterAll(() => server.close());

async function login(localpart: string): Promise<Session> {
  const body = await server.ok("POST", `${v3}/login`, { body: { type: "m.login.password", identifier: { type: "m.id.user", user: localpart }, password: "correct horse" } });
  return { userId: body.user_id, deviceId: body.device_id, token: body.access_token };
}
const message = (body: string) => ({ msgtype: "m.text", body });
function expectRefused(res: { status: number; body: any }, status: number, errcode: string) {
  expect(res.status).toBe(status);
  expect(res.body.errcode).toBe(errcode);
}

describe("transaction ids", () => {
  test("a retry on the same device returns the first event and sends nothing new", async () => {
    const first = await server.send(alice, roomId, message("once"), "m.room.message", "txn-retry");
    expect(first.status).toBe(200);
    const again = await server.send(alice, roomId, message("once"), "m.room.message", "txn-retry");
    expect(again).toEqual(first);
    const sent = await server.rooms.repo.sql`select count(*)::int as n from events where room_id = ${roomId} and json like '%"body":"once"%'`;
    expect(sent[0]!.n).toBe(1);
  });

  test("concurrent retries give one event", async () => {
    const results = await Promise.all([1, 2, 3].map(() => server.send(alice, roomId, message("racing"), "m.room.message", "txn-race")));
    expect(new Set(results.map((r) => r.body.event_id)).size).toBe(1);
    expect(results.every((r) => r.status === 200)).toBe(true);
  });

  test("another device of the same user, or another user, with the same txnId sends a new event", async () => {
    const otherDevice = await login("alice");
    const first = await server.send(alice, roomId, message("hi"), "m.room.message", "txn-shared");
    const second = await server.send(otherDevice, roomId, message("hi"), "m.room.message", "txn-shared");
    const third = await server.send(bob, roomId, message("hi"), "m.room.message", "txn-shared");
    expect(second.status).toBe(200);
    expect(third.status).toBe(200);
    expect(new Set([first.body.event_id, second.body.event_id, third.body.event_id]).size).toBe(3);
  });

  test("reusing a txnId for different content is refused with 400", async () => {
    await server.send(alice, roomId, message("original"), "m.room.message", "txn-reuse");
    expectRefused(await server.send(alice, roomId, message("changed"), "m.room.message", "txn-reuse"), 400, "M_INVALID_PARAM");
  });

  test("a refused send does not use up its txnId", async () => {
    const closed = await server.createRoom(alice);
    expect((await server.send(bob, closed, message("x"), "m.room.message", "txn-refused")).status).toBe(403);
    await server.invite(alice, closed, bob.userId);
    await server.join(bob, closed);
    expect((await server.send(bob, closed, message("x"), "m.room.message", "txn-refused")).status).toBe(200);
  });
});

describe("limits and refusals", () => {
  test("an event over 65536 bytes is 413 M_TOO_LARGE; one just under is sent", async () => {
    expectRefused(await server.send(alice, roomId, message("x".repeat(66_000))), 413, "M_TOO_LARGE");
    expect((await server.send(alice, roomId, message("x".repeat(60_000)))).status).toBe(200);
  });

  test("an event type over 255 bytes is refused with 400", async () => {
    const res = await server.send(alice, roomId, { a: 1 }, `org.example.${"t".repeat(260)}`);
    expect(res.status).toBe(400);
  });

  test("events_default above the sender's level refuses messages with 403", async () => {
    const quiet = await server.createRoom(alice, { preset: "public_chat", power_level_content_override: { events_default: 10 } });
    await server.join(bob, quiet);
    expectRefused(await server.send(bob, quiet, message("can I talk?")), 403, "M_FORBIDDEN");
    expect((await server.send(alice, quiet, message("I can"))).status).toBe(200);
  });

  test("m.room.redaction through /send is refused (the redact endpoint sends it)", async () => {
    const target = await server.sendText(alice, roomId, "to redact");
    expectRefused(await server.send(alice, roomId, { redacts: target }, "m.room.redaction"), 400, "M_INVALID_PARAM");
  });

  test("non-members, unknown rooms and bad bodies are refused", async () => {
    const carol = await server.register("carol");
    expectRefused(await server.send(carol, roomId, message("let me in")), 403, "M_FORBIDDEN");
    expectRefused(await server.send(alice, "!unknown:test.local", message("x")), 404, "M_NOT_FOUND");
    const notObject = await server.call("PUT", `${v3}/rooms/${enc(roomId)}/send/m.room.message/t-array`, { token: alice.token, rawBody: "[1]" });
    expectRefused(notObject, 400, "M_NOT_JSON");
    const notJson = await server.call("PUT", `${v3}/rooms/${enc(roomId)}/send/m.room.message/t-junk`, { token: alice.token, rawBody: "{nope" });
    expectRefused(notJson, 400, "M_NOT_JSON");
  });

  test("floats in content are refused with 400 in rooms that enforce canonical JSON", async () => {
    const res = await server.call("PUT", `${v3}/rooms/${enc(roomId)}/send/org.example.num/t-float`, { token: alice.token, rawBody: '{"n": 1.5}' });
    expectRefused(res, 400, "M_BAD_JSON");
  });

  test("guests may send any event type in rooms they joined (v1.2)", async () => {
    const guest = await server.registerGuest();
    const open = await server.createRoom(alice, { preset: "public_chat", initial_state: [{ type: "m.room.guest_access", content: { guest_access: "can_join" } }] });
    expect((await server.call("POST", `${v3}/rooms/${enc(open)}/join`, { token: guest.token, body: {} })).status).toBe(200);
    expect((await server.send(guest, open, message("hello"))).status).toBe(200);
    expect((await server.send(guest, open, { x: 1 }, "org.example.custom")).status).toBe(200);
  });
});

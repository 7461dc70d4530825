// PUT /rooms/{roomId}/redact/{eventId}/{txnId}: who may redact, how a redacted event is served,
// transaction ids, and redactions breaking relations.
// https://spec.matrix.org/v1.19/client-server-api/#redactions
// https://spec.matrix.org/v1.19/client-server-api/#put_matrixclientv3roomsroomidredacteventidtxnid
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { roomsTestServer, type RoomsTestServer, type Session } from "../helpers/rooms.ts";

let server: RoomsTestServer;
let alice: Session;
let bob: Session;
let carol: Session;
let roomId: string;
const v3 = "/_matrix/client/v3";
const enc = encodeURIComponent;

beforeAll(async () => {
  server = await roomsTestServer();
  alice = await server.register("alice");
  bob = await server.register("bob");
  carol = await server.register("carol");
  roomId = await server.createRoom(alice, { preset: "public_chat" });
  await server.join(bob, roomId);
});
afterAll(() => server.close());

const redact = (user: Session, eventId: string, txnId: string, body: Record<string, unknown> = {}, room = roomId) =>
  server.call("PUT", `${v3}/rooms/${enc(room)}/redact/${enc(eventId)}/${enc(txnId)}`, { token: user.token, body });
const getEvent = (user: Session, eventId: string) => server.ok("GET", `${v3}/rooms/${enc(roomId)}/event/${enc(eventId)}`, { token: user.token });

describe("who may redact", () => {
  test("a user redacts their own event; it is served redacted with redacted_because and the reason", async () => {
    const eventId = await server.sendText(bob, roomId, "oops");
    const res = await redact(bob, eventId, "own", { reason: "typo" });
    expect(res.status).toBe(200);
    const redactionId = res.body.event_id;
    expect(redactionId).toMatch(/^\$/);

    const served = await getEvent(alice, eventId);
    expect(served.content).toEqual({});
    expect(served.type).toBe("m.room.message");
    expect(served.unsigned.redacted_because).toMatchObject({
      event_id: redactionId, type: "m.room.redaction", sender: bob.userId, redacts: eventId, content: { reason: "typo" },
    });
    // The redaction itself keeps its reason (room version 11 also carries redacts in content).
    const redaction = await getEvent(alice, redactionId);
    expect(redaction.content).toEqual({ reason: "typo", redacts: eventId });

    // The formatter applies the redaction wherever the event is served.
    const [formatted] = await server.rooms.formatter.format(await server.rooms.cache.get([eventId]), { userId: alice.userId, deviceId: null });
    expect(formatted!.content).toEqual({});
    expect((formatted!.unsigned.redacted_because as any).event_id).toBe(redactionId);
  });

  test("another user's event needs the redact power level: 403 without it, 200 as moderator", async () => {
    const eventId = await server.sendText(alice, roomId, "alice's words");
    const refused = await redact(bob, eventId, "not-allowed");
    expect(refused.status).toBe(403);
    expect(refused.body.errcode).toBe("M_FORBIDDEN");
    expect((await getEvent(alice, eventId)).content.body).toBe("alice's words");

    const levels = await server.ok("GET", `${v3}/rooms/${enc(roomId)}/state/m.room.power_levels`, { token: alice.token });
    levels.users = { ...levels.users, [bob.userId]: 50 };
    expect((await server.setState(alice, roomId, "m.room.power_levels", "", levels)).status).toBe(200);
    const allowed = await redact(bob, eventId, "as-moderator", { reason: "moderation" });
    expect(allowed.status).toBe(200);
    const served = await getEvent(alice, eventId);
    expect(served.content).toEqual({});
    expect(served.unsigned.redacted_because.sender).toBe(bob.userId);
  });

  test("an unknown event answers 404; a non-member is refused", async () => {
    const unknown = await redact(alice, "$missing:test.local", "unknown");
    expect(unknown.status).toBe(404);
    expect(unknown.body.errcode).toBe("M_NOT_FOUND");
    const elsewhere = await server.sendText(alice, await server.createRoom(alice), "other room");
    expect((await redact(alice, elsewhere, "other-room")).status).toBe(404);
    const eventId = await server.sendText(alice, roomId, "carol is not here");
    expect((await redact(carol, eventId, "outsider")).status).toBe(403);
  });
});

describe("transaction ids", () => {
  test("a retried redaction returns the same event; the txnId reused for another request is refused", async () => {
    const eventId = await server.sendText(alice, roomId, "redact me once");
    const first = await redact(alice, eventId, "same-txn", { reason: "r" });
    const again = await redact(alice, eventId, "same-txn", { reason: "r" });
    expect(again).toEqual(first);
    const other = await redact(alice, eventId, "same-txn", { reason: "different" });
    expect(other.status).toBe(400);
  });
});

describe("redactions and relations", () => {
  test("a redacted edit drops out of m.replace; the original's content comes back", async () => {
    const original = await server.sendText(alice, roomId, "draft");
    const editId = (await server.send(alice, roomId, {
      msgtype: "m.text", body: "* final", "m.new_content": { msgtype: "m.text", body: "final" }, "m.relates_to": { rel_type: "m.replace", event_id: original },
    })).body.event_id;
    expect((await getEvent(bob, original)).unsigned["m.relations"]["m.replace"].event_id).toBe(editId);
    expect((await redact(alice, editId, "undo-edit")).status).toBe(200);
    const served = await getEvent(bob, original);
    expect(served.content.body).toBe("draft");
    expect(served.unsigned["m.relations"]).toBeUndefined();
  });
});

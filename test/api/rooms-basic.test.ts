// createRoom, send, state and membership through the client API.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { roomsTestServer, type RoomsTestServer, type Session } from "../helpers/rooms.ts";

let server: RoomsTestServer;
let alice: Session;
let bob: Session;

beforeAll(async () => {
  server = await roomsTestServer();
  alice = await server.register("alice");
  bob = await server.register("bob");
});
afterAll(() => server.close());

describe("createRoom", () => {
  test("creates a room with the default version whose state the creator reads", async () => {
    const roomId = await server.createRoom(alice, { name: "Lobby", topic: "hello" });
    expect(roomId).toMatch(/^!.+:test\.local$/);
    const name = await server.getState(alice, roomId, "m.room.name");
    expect(name).toEqual({ status: 200, body: { name: "Lobby" } });
    const create = await server.getState(alice, roomId, "m.room.create");
    expect(create.body.room_version).toBe("11");
    const state = await server.ok("GET", `/_matrix/client/v3/rooms/${encodeURIComponent(roomId)}/state`, { token: alice.token });
    const types = state.map((e: any) => e.type).sort();
    expect(types).toEqual(["m.room.create", "m.room.guest_access", "m.room.history_visibility", "m.room.join_rules", "m.room.member", "m.room.name", "m.room.power_levels", "m.room.topic"]);
  });

  test.each(["1", "2", "3", "4", "5", "6", "7", "8", "9", "10", "11", "12"])("room version %s is creatable and usable", async (version) => {
    const roomId = await server.createRoom(alice, { room_version: version, preset: "public_chat" });
    if (version === "12") expect(roomId).not.toContain(":");
    expect((await server.join(bob, roomId)).status).toBe(200);
    await server.sendText(bob, roomId, "hi");
  });

  test("an unknown room version is refused", async () => {
    const res = await server.call("POST", "/_matrix/client/v3/createRoom", { token: alice.token, body: { room_version: "999" } });
    expect(res.status).toBe(400);
    expect(res.body.errcode).toBe("M_UNSUPPORTED_ROOM_VERSION");
  });
});

describe("send and membership", () => {
  test("a non-member cannot send; an invite-only room refuses a join; invite then join works", async () => {
    const roomId = await server.createRoom(alice);
    expect((await server.send(bob, roomId, { msgtype: "m.text", body: "x" })).status).toBe(403);
    const refused = await server.join(bob, roomId);
    expect(refused.status).toBe(403);
    expect(refused.body.errcode).toBe("M_FORBIDDEN");
    expect((await server.invite(alice, roomId, bob.userId)).status).toBe(200);
    expect((await server.join(bob, roomId)).status).toBe(200);
    await server.sendText(bob, roomId, "hello");
  });

  test("txnId is idempotent per device and refuses reuse for another request", async () => {
    const roomId = await server.createRoom(alice);
    const first = await server.send(alice, roomId, { msgtype: "m.text", body: "once" }, "m.room.message", "same");
    const again = await server.send(alice, roomId, { msgtype: "m.text", body: "once" }, "m.room.message", "same");
    expect(again.body.event_id).toBe(first.body.event_id);
    const other = await server.send(alice, roomId, { msgtype: "m.text", body: "different" }, "m.room.message", "same");
    expect(other.status).toBe(400);
  });
});

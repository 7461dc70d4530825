// GET /v1/room_summary/{roomIdOrAlias}: rooms the caller may see, by id or alias.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { roomsTestServer, type RoomsTestServer, type Session } from "../helpers/rooms.ts";

let server: RoomsTestServer;
let alice: Session;
let bob: Session;
const summary = (user: Session, roomIdOrAlias: string) => server.call("GET", `/_matrix/client/v1/room_summary/${encodeURIComponent(roomIdOrAlias)}?via=elsewhere.example`, { token: user.token });

beforeAll(async () => {
  server = await roomsTestServer();
  alice = await server.register("alice");
  bob = await server.register("bob");
});
afterAll(() => server.close());

describe("GET /room_summary", () => {
  test("a public room by alias, for a non-member: the spec's fields", async () => {
    const roomId = await server.createRoom(alice, {
      preset: "public_chat", name: "Lobby", topic: "hello", room_alias_name: "lobby", creation_content: { type: "m.space" },
      initial_state: [{ type: "m.room.encryption", state_key: "", content: { algorithm: "m.megolm.v1.aes-sha2" } }],
    });
    const res = await summary(bob, "#lobby:test.local");
    expect(res.status).toBe(200);
    expect(res.body).toEqual({
      room_id: roomId, name: "Lobby", topic: "hello", canonical_alias: "#lobby:test.local", num_joined_members: 1, join_rule: "public",
      room_type: "m.space", world_readable: false, guest_can_join: false, membership: "leave", encryption: "m.megolm.v1.aes-sha2", room_version: "11",
    });
    expect((await summary(alice, roomId)).body.membership).toBe("join");
  });

  test("a private room: members and invitees see it, others get 404", async () => {
    const roomId = await server.createRoom(alice, { preset: "private_chat" });
    expect((await summary(bob, roomId)).status).toBe(404);
    await server.invite(alice, roomId, bob.userId);
    const res = await summary(bob, roomId);
    expect([res.status, res.body.membership, res.body.join_rule]).toEqual([200, "invite", "invite"]);
  });

  test("world_readable and restricted rooms, with allowed_room_ids", async () => {
    const readable = await server.createRoom(alice, { preset: "private_chat", initial_state: [{ type: "m.room.history_visibility", state_key: "", content: { history_visibility: "world_readable" } }] });
    expect((await summary(bob, readable)).body.world_readable).toBe(true);
    const space = await server.createRoom(alice, { preset: "public_chat" });
    const restricted = await server.createRoom(alice, {
      preset: "private_chat", initial_state: [{ type: "m.room.join_rules", state_key: "", content: { join_rule: "restricted", allow: [{ type: "m.room_membership", room_id: space }] } }],
    });
    expect((await summary(bob, restricted)).status).toBe(404);
    await server.join(bob, space);
    const res = await summary(bob, restricted);
    expect([res.status, res.body.allowed_room_ids]).toEqual([200, [space]]);
  });

  test("404 for unknown rooms and aliases (remote ones too); 400 for neither id nor alias", async () => {
    expect((await summary(bob, "!unknown:test.local")).body.errcode).toBe("M_NOT_FOUND");
    expect((await summary(bob, "#nothing:test.local")).body.errcode).toBe("M_NOT_FOUND");
    const bad = await summary(bob, "lobby");
    expect([bad.status, bad.body.errcode]).toEqual([400, "M_INVALID_PARAM"]);
  });

  test("401 without an access token", async () => {
    expect((await server.call("GET", `/_matrix/client/v1/room_summary/${encodeURIComponent("!x:test.local")}`)).status).toBe(401);
  });
});

// POST /rooms/{roomId}/upgrade: the replacement room, the copied state, aliases, bans, tombstone.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { roomsTestServer, type RoomsTestServer, type Session } from "../helpers/rooms.ts";

let server: RoomsTestServer;
let alice: Session;
let bob: Session;
let carol: Session;
const enc = encodeURIComponent;
const v3 = "/_matrix/client/v3";
const upgrade = (user: Session, roomId: string, body: unknown) => server.call("POST", `${v3}/rooms/${enc(roomId)}/upgrade`, { token: user.token, body });
const content = async (user: Session, roomId: string, type: string, stateKey = "") => {
  const res = await server.getState(user, roomId, type, stateKey);
  if (res.status !== 200) throw new Error(`${type}: ${res.status} ${JSON.stringify(res.body)}`);
  return res.body;
};

beforeAll(async () => {
  server = await roomsTestServer();
  alice = await server.register("alice");
  bob = await server.register("bob");
  carol = await server.register("carol");
});
afterAll(() => server.close());

describe("POST /rooms/{roomId}/upgrade", () => {
  test("creates the replacement room with the old room's state, aliases and bans, and tombstones the old room", async () => {
    const oldRoom = await server.createRoom(alice, {
      room_version: "10", preset: "public_chat", visibility: "public", name: "Old", topic: "Before", room_alias_name: "moving",
    });
    await server.ok("PUT", `${v3}/directory/room/${enc("#moving2:test.local")}`, { token: alice.token, body: { room_id: oldRoom } });
    await server.setState(alice, oldRoom, "m.room.canonical_alias", "", { alias: "#moving:test.local", alt_aliases: ["#moving2:test.local", "#far:remote.example"] });
    await server.setState(alice, oldRoom, "m.room.avatar", "", { url: "mxc://test.local/avatar" });
    await server.setState(alice, oldRoom, "m.room.encryption", "", { algorithm: "m.megolm.v1.aes-sha2" });
    await server.setState(alice, oldRoom, "org.example.custom", "", { kept: false });
    await server.join(bob, oldRoom);
    await server.ok("POST", `${v3}/rooms/${enc(oldRoom)}/ban`, { token: alice.token, body: { user_id: carol.userId, reason: "spam" } });
    const lastEvent = await server.sendText(bob, oldRoom, "last words");

    const res = await upgrade(alice, oldRoom, { new_version: "11" });
    expect(res.status).toBe(200);
    const newRoom = res.body.replacement_room;
    expect(newRoom).toMatch(/^!/);
    expect(newRoom).not.toBe(oldRoom);

    expect(await content(alice, newRoom, "m.room.create")).toEqual({ room_version: "11", predecessor: { room_id: oldRoom, event_id: lastEvent } });
    expect(await content(alice, oldRoom, "m.room.tombstone")).toEqual({ body: "This room has been replaced", replacement_room: newRoom });
    expect(await content(alice, newRoom, "m.room.name")).toEqual({ name: "Old" });
    expect((await content(alice, newRoom, "m.room.topic")).topic).toBe("Before");
    expect(await content(alice, newRoom, "m.room.avatar")).toEqual({ url: "mxc://test.local/avatar" });
    expect(await content(alice, newRoom, "m.room.encryption")).toEqual({ algorithm: "m.megolm.v1.aes-sha2" });
    expect(await content(alice, newRoom, "m.room.join_rules")).toEqual({ join_rule: "public" });
    expect(await content(alice, newRoom, "m.room.history_visibility")).toEqual({ history_visibility: "shared" });
    expect(await content(alice, newRoom, "m.room.guest_access")).toEqual({ guest_access: "forbidden" });
    expect((await server.getState(alice, newRoom, "org.example.custom")).status).toBe(404);
    expect(await content(alice, newRoom, "m.room.member", carol.userId)).toEqual({ membership: "ban", reason: "spam" });
    expect((await content(alice, newRoom, "m.room.power_levels")).users).toEqual({ [alice.userId]: 100 });

    // Local aliases point at the new room; the canonical alias's local aliases moved with them.
    expect((await server.ok("GET", `${v3}/directory/room/${enc("#moving:test.local")}`)).room_id).toBe(newRoom);
    expect((await server.ok("GET", `${v3}/rooms/${enc(newRoom)}/aliases`, { token: alice.token })).aliases.sort()).toEqual(["#moving2:test.local", "#moving:test.local"]);
    expect(await content(alice, newRoom, "m.room.canonical_alias")).toEqual({ alias: "#moving:test.local", alt_aliases: ["#moving2:test.local"] });
    expect(await content(alice, oldRoom, "m.room.canonical_alias")).toEqual({ alt_aliases: ["#far:remote.example"] });
    // The directory entry moved too.
    expect((await server.ok("GET", `${v3}/directory/list/room/${enc(newRoom)}`)).visibility).toBe("public");
    expect((await server.ok("GET", `${v3}/directory/list/room/${enc(oldRoom)}`)).visibility).toBe("private");

    // The old room: sending and inviting need 50 now.
    const oldPl = await content(alice, oldRoom, "m.room.power_levels");
    expect([oldPl.events_default, oldPl.invite]).toEqual([50, 50]);
    expect((await server.send(bob, oldRoom, { msgtype: "m.text", body: "still here?" })).status).toBe(403);
    // Bob can follow into the new room.
    expect((await server.join(bob, newRoom)).status).toBe(200);
  });

  test("an upgrader below the level the copies need holds it only while copying", async () => {
    // Version 9 still allows levels as strings; version 11 needs integers.
    const oldRoom = await server.createRoom(alice, { room_version: "9", preset: "public_chat" });
    await server.join(bob, oldRoom);
    const pl = await server.setState(alice, oldRoom, "m.room.power_levels", "", {
      users: { [alice.userId]: 100, [bob.userId]: "60" }, users_default: 0, events_default: 0, state_default: 50, ban: 50, kick: 50, redact: 50, invite: 0,
      events: { "m.room.tombstone": 60, "m.room.history_visibility": 100, "m.room.power_levels": 100 },
    });
    expect(pl.status).toBe(200);
    await server.setState(alice, oldRoom, "m.room.history_visibility", "", { history_visibility: "joined" });
    const res = await upgrade(bob, oldRoom, { new_version: "11" });
    expect(res.status).toBe(200);
    const newRoom = res.body.replacement_room;
    expect(await content(bob, newRoom, "m.room.history_visibility")).toEqual({ history_visibility: "joined" });
    // The final power levels: bob's own level again (as an integer), alice's kept.
    expect((await content(bob, newRoom, "m.room.power_levels")).users).toEqual({ [alice.userId]: 100, [bob.userId]: 60 });
  });

  test("to v12: additional_creators in the create event, creators left out of the power levels", async () => {
    const oldRoom = await server.createRoom(alice, { room_version: "11", preset: "public_chat", power_level_content_override: { users: { [alice.userId]: 100, [bob.userId]: 50, [carol.userId]: 20 } } });
    const res = await upgrade(alice, oldRoom, { new_version: "12", additional_creators: [bob.userId] });
    expect(res.status).toBe(200);
    const newRoom = res.body.replacement_room;
    const create = await content(alice, newRoom, "m.room.create");
    expect(create.additional_creators).toEqual([bob.userId]);
    expect(create.room_version).toBe("12");
    expect((await content(alice, newRoom, "m.room.power_levels")).users).toEqual({ [carol.userId]: 20 });
    const bad = await upgrade(alice, newRoom, { new_version: "12", additional_creators: ["not-a-user"] });
    expect([bad.status, bad.body.errcode]).toEqual([400, "M_INVALID_PARAM"]);
    // From v12 down to v11 the creator (unlimited in v12) gets a listed top level.
    const down = await upgrade(alice, newRoom, { new_version: "11" });
    expect(down.status).toBe(200);
    const downPl = await content(alice, down.body.replacement_room, "m.room.power_levels");
    expect(downPl.users[alice.userId]).toBeGreaterThanOrEqual(100);
  });

  test("a space stays a space with its children", async () => {
    const child = await server.createRoom(alice, { preset: "public_chat" });
    const space = await server.createRoom(alice, { preset: "public_chat", creation_content: { type: "m.space" } });
    await server.setState(alice, space, "m.space.child", child, { via: ["test.local"], suggested: true });
    const res = await upgrade(alice, space, { new_version: "11" });
    const newSpace = res.body.replacement_room;
    expect((await content(alice, newSpace, "m.room.create")).type).toBe("m.space");
    expect(await content(alice, newSpace, "m.space.child", child)).toEqual({ via: ["test.local"], suggested: true });
  });

  test("refusals: unknown version, unknown room, non-members and members without the tombstone level", async () => {
    const roomId = await server.createRoom(alice, { preset: "public_chat" });
    const unknownVersion = await upgrade(alice, roomId, { new_version: "999" });
    expect([unknownVersion.status, unknownVersion.body.errcode]).toEqual([400, "M_UNSUPPORTED_ROOM_VERSION"]);
    expect((await upgrade(alice, "!unknown:test.local", { new_version: "11" })).status).toBe(404);
    expect((await upgrade(alice, "!a\u0000b", { new_version: "11" })).body.errcode).toBe("M_INVALID_PARAM");
    const outsider = await upgrade(bob, roomId, { new_version: "11" });
    expect([outsider.status, outsider.body.errcode]).toEqual([403, "M_FORBIDDEN"]);
    await server.join(bob, roomId);
    const member = await upgrade(bob, roomId, { new_version: "11" });
    expect([member.status, member.body.errcode]).toEqual([403, "M_FORBIDDEN"]);
    expect((await upgrade(alice, roomId, {})).body.errcode).toBe("M_BAD_JSON");
    expect((await server.getState(alice, roomId, "m.room.tombstone")).status).toBe(404);
  });
});

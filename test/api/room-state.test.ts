// Room state through the client API: PUT /state/{type}/{stateKey} (power levels, state keys,
// repeated content), GET /state/{type}/{stateKey} (format, members, former members, empty state
// keys with and without the trailing slash) and GET /state.
// https://spec.matrix.org/v1.19/client-server-api/#put_matrixclientv3roomsroomidstateeventtypestatekey
// https://spec.matrix.org/v1.19/client-server-api/#get_matrixclientv3roomsroomidstateeventtypestatekey
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { roomsTestServer, type RoomsTestServer, type Session } from "../helpers/rooms.ts";

let server: RoomsTestServer;
let alice: Session;
let bob: Session;
let carol: Session;
const v3 = "/_matrix/client/v3";
const enc = encodeURIComponent;
const roomPath = (roomId: string) => `${v3}/rooms/${enc(roomId)}`;

beforeAll(async () => {
  server = await roomsTestServer();
  alice = await server.register("alice");
  bob = await server.register("bob");
  carol = await server.register("carol");
});
afterAll(() => server.close());

function expectRefused(res: { status: number; body: any }, status: number, errcode: string) {
  expect(res.status).toBe(status);
  expect(res.body.errcode).toBe(errcode);
}

describe("PUT /state", () => {
  test("the same content again answers the same event id; new content a new one", async () => {
    const roomId = await server.createRoom(alice);
    const first = await server.setState(alice, roomId, "m.room.name", "", { name: "One" });
    expect(first.status).toBe(200);
    expect(await server.setState(alice, roomId, "m.room.name", "", { name: "One" })).toEqual(first);
    const second = await server.setState(alice, roomId, "m.room.name", "", { name: "Two" });
    expect(second.body.event_id).not.toBe(first.body.event_id);
  });

  test("state below the sender's power level is refused with 403", async () => {
    const roomId = await server.createRoom(alice, { preset: "public_chat" });
    await server.join(bob, roomId);
    expectRefused(await server.setState(bob, roomId, "m.room.name", "", { name: "Mine" }), 403, "M_FORBIDDEN");
    expectRefused(await server.setState(bob, roomId, "org.example.state", "", { a: 1 }), 403, "M_FORBIDDEN");
    expectRefused(await server.setState(bob, roomId, "m.room.power_levels", "", { users: { [bob.userId]: 100 } }), 403, "M_FORBIDDEN");
    expect((await server.setState(alice, roomId, "m.room.name", "", { name: "Hers" })).status).toBe(200);
  });

  test.each(["1", "6", "11"])("v%s: a state key of another user's id is refused; the sender's own is allowed", async (version) => {
    const roomId = await server.createRoom(alice, { room_version: version, preset: "public_chat" });
    await server.join(bob, roomId);
    expectRefused(await server.setState(alice, roomId, "org.example.user", bob.userId, { a: 1 }), 403, "M_FORBIDDEN");
    expect((await server.setState(alice, roomId, "org.example.user", alice.userId, { a: 1 })).status).toBe(200);
  });

  test("a state key over 255 bytes is refused with 400", async () => {
    const roomId = await server.createRoom(alice);
    expect((await server.setState(alice, roomId, "org.example.long", "k".repeat(300), { a: 1 })).status).toBe(400);
  });

  test("m.room.member through PUT /state: membership is required; a ban works as by /ban", async () => {
    const roomId = await server.createRoom(alice, { preset: "public_chat" });
    await server.join(bob, roomId);
    expectRefused(await server.setState(alice, roomId, "m.room.member", bob.userId, { reason: "no membership" }), 400, "M_BAD_JSON");
    expect((await server.setState(alice, roomId, "m.room.member", bob.userId, { membership: "ban" })).status).toBe(200);
    expectRefused(await server.join(bob, roomId), 403, "M_FORBIDDEN");
  });

  test("m.room.canonical_alias must name aliases of this room", async () => {
    const roomId = await server.createRoom(alice, { room_alias_name: "state-alias" });
    const other = await server.createRoom(alice, { room_alias_name: "state-other" });
    expect((await server.setState(alice, roomId, "m.room.canonical_alias", "", { alias: "#state-alias:test.local" })).status).toBe(200);
    expectRefused(await server.setState(alice, roomId, "m.room.canonical_alias", "", { alias: "#state-other:test.local" }), 400, "M_BAD_ALIAS");
    expectRefused(await server.setState(alice, roomId, "m.room.canonical_alias", "", { alias: "not an alias" }), 400, "M_INVALID_PARAM");
    expectRefused(await server.setState(alice, roomId, "m.room.canonical_alias", "", { alt_aliases: "#x:test.local" }), 400, "M_INVALID_PARAM");
    expect(other).toBeString();
  });

  test("non-members cannot set state; bodies must be JSON objects", async () => {
    const roomId = await server.createRoom(alice);
    expectRefused(await server.setState(carol, roomId, "org.example.x", "", { a: 1 }), 403, "M_FORBIDDEN");
    const notObject = await server.call("PUT", `${roomPath(roomId)}/state/org.example.x/`, { token: alice.token, rawBody: "[]" });
    expectRefused(notObject, 400, "M_NOT_JSON");
  });
});

describe("empty state keys in the path", () => {
  test("PUT and GET work with and without the trailing slash", async () => {
    const roomId = await server.createRoom(alice);
    const withSlash = await server.call("PUT", `${roomPath(roomId)}/state/m.room.topic/`, { token: alice.token, body: { topic: "slash" } });
    expect(withSlash.status).toBe(200);
    expect(await server.call("GET", `${roomPath(roomId)}/state/m.room.topic`, { token: alice.token })).toEqual({ status: 200, body: { topic: "slash" } });
    const without = await server.call("PUT", `${roomPath(roomId)}/state/m.room.topic`, { token: alice.token, body: { topic: "none" } });
    expect(without.status).toBe(200);
    expect(await server.call("GET", `${roomPath(roomId)}/state/m.room.topic/`, { token: alice.token })).toEqual({ status: 200, body: { topic: "none" } });
  });
});

describe("GET /state/{type}/{stateKey}", () => {
  test("format=event gives the whole event; the default is the content; unknown state is 404", async () => {
    const roomId = await server.createRoom(alice, { name: "Formats" });
    expect((await server.getState(alice, roomId, "m.room.name")).body).toEqual({ name: "Formats" });
    const event = await server.ok("GET", `${roomPath(roomId)}/state/m.room.name/?format=event`, { token: alice.token });
    expect(event).toMatchObject({ type: "m.room.name", state_key: "", sender: alice.userId, room_id: roomId, content: { name: "Formats" } });
    expect(event.event_id).toMatch(/^\$/);
    expect(typeof event.origin_server_ts).toBe("number");
    expectRefused(await server.getState(alice, roomId, "m.room.avatar"), 404, "M_NOT_FOUND");
    const badFormat = await server.call("GET", `${roomPath(roomId)}/state/m.room.name/?format=xml`, { token: alice.token });
    expect(badFormat.status).toBe(400);
  });

  test("non-members are refused with 403, also for unknown rooms", async () => {
    const roomId = await server.createRoom(alice, { name: "Private" });
    expectRefused(await server.getState(carol, roomId, "m.room.name"), 403, "M_FORBIDDEN");
    expectRefused(await server.getState(carol, "!unknown:test.local", "m.room.name"), 403, "M_FORBIDDEN");
    expectRefused(await server.call("GET", `${roomPath(roomId)}/state`, { token: carol.token }), 403, "M_FORBIDDEN");
    // Invited is not joined.
    await server.invite(alice, roomId, carol.userId);
    expectRefused(await server.getState(carol, roomId, "m.room.name"), 403, "M_FORBIDDEN");
  });

  test("a user who left sees the state at their leave, not later changes", async () => {
    const roomId = await server.createRoom(alice, { preset: "public_chat", name: "Before" });
    await server.join(bob, roomId);
    await server.call("POST", `${roomPath(roomId)}/leave`, { token: bob.token, body: {} });
    await server.setState(alice, roomId, "m.room.name", "", { name: "After" });
    await server.setState(alice, roomId, "m.room.topic", "", { topic: "New" });
    expect((await server.getState(bob, roomId, "m.room.name")).body).toEqual({ name: "Before" });
    expectRefused(await server.getState(bob, roomId, "m.room.topic"), 404, "M_NOT_FOUND");
    expect((await server.getState(bob, roomId, "m.room.member", bob.userId)).body.membership).toBe("leave");
    const state = await server.ok("GET", `${roomPath(roomId)}/state`, { token: bob.token });
    expect(state.find((e: any) => e.type === "m.room.name").content).toEqual({ name: "Before" });
    expect(state.some((e: any) => e.type === "m.room.topic")).toBe(false);
    expect((await server.getState(alice, roomId, "m.room.name")).body).toEqual({ name: "After" });
  });

  test("a banned user sees the state at the ban", async () => {
    const roomId = await server.createRoom(alice, { preset: "public_chat", name: "Before ban" });
    await server.join(carol, roomId);
    await server.call("POST", `${roomPath(roomId)}/ban`, { token: alice.token, body: { user_id: carol.userId } });
    await server.setState(alice, roomId, "m.room.name", "", { name: "After ban" });
    expect((await server.getState(carol, roomId, "m.room.name")).body).toEqual({ name: "Before ban" });
  });

  test("world_readable rooms show their current state to anyone", async () => {
    const roomId = await server.createRoom(alice, { name: "Open book", initial_state: [{ type: "m.room.history_visibility", content: { history_visibility: "world_readable" } }] });
    expect((await server.getState(carol, roomId, "m.room.name")).body).toEqual({ name: "Open book" });
  });
});

describe("GET /state", () => {
  test("every current state event in client format, with prev_content of replaced state", async () => {
    const roomId = await server.createRoom(alice, { name: "First" });
    await server.setState(alice, roomId, "m.room.name", "", { name: "Second" });
    const state = await server.ok("GET", `${roomPath(roomId)}/state`, { token: alice.token });
    const names = state.filter((e: any) => e.type === "m.room.name");
    expect(names).toHaveLength(1);
    expect(names[0].content).toEqual({ name: "Second" });
    expect(names[0].unsigned.prev_content).toEqual({ name: "First" });
    for (const event of state) expect(Object.keys(event).sort()).toEqual(["content", "event_id", "origin_server_ts", "room_id", "sender", "state_key", "type", "unsigned"]);
  });
});

// POST /createRoom: presets, initial_state, power levels, invites, alias, creation_content, the
// spec's event order, room version 12 creators, and refusals of bad bodies.
// https://spec.matrix.org/v1.19/client-server-api/#post_matrixclientv3createroom
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { roomsTestServer, type RoomsTestServer, type Session } from "../helpers/rooms.ts";

let server: RoomsTestServer;
let alice: Session;
let bob: Session;
let carol: Session;
const v3 = "/_matrix/client/v3";
const enc = encodeURIComponent;

beforeAll(async () => {
  server = await roomsTestServer();
  alice = await server.register("alice");
  bob = await server.register("bob");
  carol = await server.register("carol");
});
afterAll(() => server.close());

const create = (user: Session, body: unknown) => server.call("POST", `${v3}/createRoom`, { token: user.token, body });
const content = async (user: Session, roomId: string, type: string, stateKey = "") => {
  const res = await server.getState(user, roomId, type, stateKey);
  if (res.status !== 200) throw new Error(`${type}: ${res.status} ${JSON.stringify(res.body)}`);
  return res.body;
};
/** How many rooms the user created. */
const roomsOf = async (user: Session) => (await server.rooms.repo.sql`select count(*)::int as n from rooms where creator = ${user.userId}`)[0]!.n as number;
/** The room's current state events (client format), ordered by their depth in the room graph. */
async function stateByDepth(user: Session, roomId: string): Promise<{ type: string; state_key: string; depth: number; content: any }[]> {
  const state = await server.ok("GET", `${v3}/rooms/${enc(roomId)}/state`, { token: user.token });
  const withDepth = await Promise.all(
    state.map(async (e: any) => ({ type: e.type, state_key: e.state_key, content: e.content, depth: (await server.rooms.cache.one(e.event_id))!.depth })),
  );
  return withDepth.sort((a, b) => a.depth - b.depth);
}

describe("presets", () => {
  test.each([
    ["private_chat", "invite", "can_join"],
    ["trusted_private_chat", "invite", "can_join"],
    ["public_chat", "public", "forbidden"],
  ])("%s sets join rule %s, shared history, guest access %s", async (preset, joinRule, guestAccess) => {
    const roomId = await server.createRoom(alice, { preset });
    expect(await content(alice, roomId, "m.room.join_rules")).toEqual({ join_rule: joinRule });
    expect(await content(alice, roomId, "m.room.history_visibility")).toEqual({ history_visibility: "shared" });
    expect(await content(alice, roomId, "m.room.guest_access")).toEqual({ guest_access: guestAccess });
  });

  test("without a preset, visibility decides: public is public_chat, private (default) private_chat", async () => {
    const publicRoom = await server.createRoom(alice, { visibility: "public" });
    expect((await content(alice, publicRoom, "m.room.join_rules")).join_rule).toBe("public");
    const privateRoom = await server.createRoom(alice, {});
    expect((await content(alice, privateRoom, "m.room.join_rules")).join_rule).toBe("invite");
  });

  test("initial_state overrides the preset's event (only one join_rules event is sent)", async () => {
    const roomId = await server.createRoom(alice, {
      preset: "private_chat",
      initial_state: [{ type: "m.room.join_rules", content: { join_rule: "public" } }, { type: "org.example.custom", state_key: "k", content: { a: 1 } }],
    });
    expect(await content(alice, roomId, "m.room.join_rules")).toEqual({ join_rule: "public" });
    expect(await content(alice, roomId, "org.example.custom", "k")).toEqual({ a: 1 });
    const joinRules = await server.ok("GET", `${v3}/rooms/${enc(roomId)}/state/m.room.join_rules?format=event`, { token: alice.token });
    expect(joinRules.unsigned.replaces_state).toBeUndefined();
    expect((await server.join(bob, roomId)).status).toBe(200);
  });

  test("trusted_private_chat in v11 gives invitees the creator's power level", async () => {
    const roomId = await server.createRoom(alice, { preset: "trusted_private_chat", invite: [bob.userId], room_version: "11" });
    const pl = await content(alice, roomId, "m.room.power_levels");
    expect(pl.users).toEqual({ [alice.userId]: 100, [bob.userId]: 100 });
    expect((await content(alice, roomId, "m.room.create")).additional_creators).toBeUndefined();
  });

  test("trusted_private_chat in v12 makes invitees additional creators, not listed in power levels", async () => {
    const roomId = await server.createRoom(alice, {
      preset: "trusted_private_chat", invite: [bob.userId], room_version: "12", creation_content: { additional_creators: [carol.userId, bob.userId] },
    });
    const createContent = await content(alice, roomId, "m.room.create");
    expect(createContent.additional_creators.sort()).toEqual([bob.userId, carol.userId].sort());
    expect((await content(alice, roomId, "m.room.power_levels")).users).toEqual({});
    // Bob, a creator, may do what needs more than any power level once joined.
    expect((await server.join(bob, roomId)).status).toBe(200);
    expect((await server.setState(bob, roomId, "m.room.tombstone", "", { body: "moved", replacement_room: "!x:test.local" })).status).toBe(200);
  });
});

describe("power levels", () => {
  test("defaults: creator 100 in v11, moderator actions at 50, invite 0 in private rooms and 50 in public ones", async () => {
    const privateRoom = await server.createRoom(alice, { room_version: "11" });
    const pl = await content(alice, privateRoom, "m.room.power_levels");
    expect(pl).toMatchObject({ users: { [alice.userId]: 100 }, users_default: 0, state_default: 50, events_default: 0, ban: 50, kick: 50, redact: 50, invite: 0 });
    expect(pl.events["m.room.tombstone"]).toBe(100);
    const publicRoom = await server.createRoom(alice, { preset: "public_chat" });
    expect((await content(alice, publicRoom, "m.room.power_levels")).invite).toBe(50);
  });

  test("power_level_content_override is applied on top of the defaults", async () => {
    const roomId = await server.createRoom(alice, {
      room_version: "11",
      power_level_content_override: { events_default: 20, users: { [alice.userId]: 100, [bob.userId]: 50 } },
    });
    const pl = await content(alice, roomId, "m.room.power_levels");
    expect(pl.events_default).toBe(20);
    expect(pl.users).toEqual({ [alice.userId]: 100, [bob.userId]: 50 });
    expect(pl.state_default).toBe(50);
  });

  test("an override that leaves the creator unable to send the rest is refused with M_INVALID_ROOM_STATE", async () => {
    const res = await create(alice, { room_version: "11", name: "x", power_level_content_override: { users: {}, events: { "m.room.name": 100 } } });
    expect(res.status).toBe(400);
    expect(res.body.errcode).toBe("M_INVALID_ROOM_STATE");
  });

  test("v12: tombstone needs 150, above state_default; creators may not be listed in users", async () => {
    const roomId = await server.createRoom(alice, { room_version: "12" });
    const pl = await content(alice, roomId, "m.room.power_levels");
    expect(pl.events["m.room.tombstone"]).toBe(150);
    expect(pl.users).toEqual({});
    const roomsBefore = await roomsOf(alice);
    const listed = await create(alice, { room_version: "12", power_level_content_override: { users: { [alice.userId]: 100 } } });
    expect(listed.status).toBe(400);
    expect(await roomsOf(alice)).toBe(roomsBefore);
    const listedExtra = await create(alice, {
      room_version: "12", creation_content: { additional_creators: [bob.userId] }, power_level_content_override: { users: { [bob.userId]: 50 } },
    });
    expect(listedExtra.status).toBe(400);
    const invalidCreators = await create(alice, { room_version: "12", creation_content: { additional_creators: ["not a user"] } });
    expect(invalidCreators.status).toBe(400);
  });
});

describe("invites, name, topic, alias, creation_content", () => {
  test("invite with is_direct marks the invitees' member events; invitees get their profile", async () => {
    await server.ok("PUT", `${v3}/profile/${enc(bob.userId)}/displayname`, { token: bob.token, body: { displayname: "Bob" } });
    const roomId = await server.createRoom(alice, { invite: [bob.userId, carol.userId], is_direct: true });
    const member = await content(alice, roomId, "m.room.member", bob.userId);
    expect(member).toEqual({ membership: "invite", is_direct: true, displayname: "Bob" });
    expect((await content(alice, roomId, "m.room.member", carol.userId)).is_direct).toBe(true);
    const plain = await server.createRoom(alice, { invite: [bob.userId] });
    expect((await content(alice, plain, "m.room.member", bob.userId)).is_direct).toBeUndefined();
    expect((await server.join(bob, roomId)).status).toBe(200);
  });

  test("name and topic (with its m.topic text/plain form) override initial_state", async () => {
    const roomId = await server.createRoom(alice, {
      name: "Real name", topic: "Real topic",
      initial_state: [{ type: "m.room.name", content: { name: "Overridden" } }, { type: "m.room.topic", content: { topic: "Overridden" } }],
    });
    expect(await content(alice, roomId, "m.room.name")).toEqual({ name: "Real name" });
    expect(await content(alice, roomId, "m.room.topic")).toEqual({ topic: "Real topic", "m.topic": [{ mimetype: "text/plain", body: "Real topic" }] });
  });

  test("room_alias_name creates the alias and the canonical alias; the alias joins; taken is M_ROOM_IN_USE", async () => {
    const roomId = await server.createRoom(alice, { room_alias_name: "lobby", preset: "public_chat" });
    expect(await content(alice, roomId, "m.room.canonical_alias")).toEqual({ alias: "#lobby:test.local" });
    const joined = await server.join(carol, "#lobby:test.local");
    expect(joined).toEqual({ status: 200, body: { room_id: roomId } });
    const taken = await create(alice, { room_alias_name: "lobby" });
    expect(taken.status).toBe(400);
    expect(taken.body.errcode).toBe("M_ROOM_IN_USE");
  });

  test.each(["", "has space", "with:colon", "#hash", "x".repeat(300)])("room_alias_name %p is refused with 400", async (name) => {
    const res = await create(alice, { room_alias_name: name });
    expect(res.status).toBe(400);
    expect(res.body.errcode).toBe("M_INVALID_PARAM");
  });

  test("creation_content keys are kept (m.federate, type); creator and room_version are the server's", async () => {
    const roomId = await server.createRoom(alice, {
      room_version: "10", creation_content: { "m.federate": false, type: "m.space", room_version: "1", creator: "@mallory:test.local" },
    });
    expect(await content(alice, roomId, "m.room.create")).toEqual({ "m.federate": false, type: "m.space", room_version: "10", creator: alice.userId });
    const v11 = await server.createRoom(alice, { room_version: "11", creation_content: { creator: "@mallory:test.local" } });
    expect(await content(alice, v11, "m.room.create")).toEqual({ room_version: "11" });
  });
});

describe("event order", () => {
  test("create, creator join, power levels, canonical alias, preset, initial_state, name, topic, invites", async () => {
    const roomId = await server.createRoom(alice, {
      preset: "public_chat", room_alias_name: "ordered", name: "N", topic: "T", invite: [bob.userId],
      initial_state: [{ type: "org.example.b", content: {} }, { type: "org.example.a", content: {} }],
    });
    const events = await stateByDepth(alice, roomId);
    expect(events.map((e) => [e.type, e.state_key])).toEqual([
      ["m.room.create", ""],
      ["m.room.member", alice.userId],
      ["m.room.power_levels", ""],
      ["m.room.canonical_alias", ""],
      ["m.room.join_rules", ""],
      ["m.room.history_visibility", ""],
      ["m.room.guest_access", ""],
      ["org.example.b", ""],
      ["org.example.a", ""],
      ["m.room.name", ""],
      ["m.room.topic", ""],
      ["m.room.member", bob.userId],
    ]);
    expect(events.map((e) => e.depth)).toEqual(events.map((_, i) => i + 1));
  });
});

describe("refusals of bad bodies", () => {
  test.each([
    ["name not a string", { name: 5 }],
    ["topic not a string", { topic: ["x"] }],
    ["invite not a list", { invite: "@bob:test.local" }],
    ["invite of a number", { invite: [5] }],
    ["unknown preset", { preset: "party" }],
    ["unknown visibility", { visibility: "secret" }],
    ["creation_content not an object", { creation_content: [] }],
    ["initial_state entry without content", { initial_state: [{ type: "m.room.name" }] }],
    ["initial_state type not a string", { initial_state: [{ type: 1, content: {} }] }],
    ["power_level_content_override not an object", { power_level_content_override: "all" }],
    ["is_direct not a boolean", { is_direct: "yes" }],
    ["room_version not a string", { room_version: 11 }],
  ])("%s: 400 M_BAD_JSON", async (_, body) => {
    const res = await create(alice, body);
    expect(res.status).toBe(400);
    expect(res.body.errcode).toBe("M_BAD_JSON");
  });

  test("an invite that is not a user id, and m.room.create in initial_state, are refused before the room exists", async () => {
    const badInvite = await create(alice, { invite: ["bob"] });
    expect(badInvite.status).toBe(400);
    const createInState = await create(alice, { initial_state: [{ type: "m.room.create", content: {} }] });
    expect(createInState.status).toBe(400);
  });

  test("invalid JSON for the room version and oversized content are refused before the room exists", async () => {
    const roomsBefore = await roomsOf(alice);
    const float = await server.call("POST", `${v3}/createRoom`, { token: alice.token, rawBody: '{"initial_state":[{"type":"org.example.n","content":{"n":1.5}}]}' });
    expect(float.status).toBe(400);
    expect(float.body.errcode).toBe("M_BAD_JSON");
    const big = await create(alice, { initial_state: [{ type: "org.example.big", content: { x: "x".repeat(70_000) } }] });
    expect(big.status).toBe(413);
    expect(big.body.errcode).toBe("M_TOO_LARGE");
    expect(await roomsOf(alice)).toBe(roomsBefore);
    // Room versions before 6 allow floats.
    const old = await server.call("POST", `${v3}/createRoom`, { token: alice.token, rawBody: '{"room_version":"5","initial_state":[{"type":"org.example.n","content":{"n":1.5}}]}' });
    expect(old.status).toBe(200);
  });

  test("invites are deduplicated; remote invites need federation and are refused before the room exists", async () => {
    const roomId = await server.createRoom(alice, { invite: [bob.userId, bob.userId, alice.userId] });
    expect((await content(alice, roomId, "m.room.member", bob.userId)).membership).toBe("invite");
    const roomsBefore = await roomsOf(alice);
    const remote = await create(alice, { invite: ["@someone:elsewhere.example"] });
    expect(remote.status).toBe(403);
    expect(await roomsOf(alice)).toBe(roomsBefore);
  });

  test("power level values of the wrong type are refused with 400, never 500", async () => {
    for (const override of [{ users: "all" }, { events: [1] }, { ban: "fifty" }, { users: { [alice.userId]: "a lot" } }]) {
      const res = await create(alice, { room_version: "11", power_level_content_override: override });
      expect(res.status).toBe(400);
    }
  });

  test("an unauthenticated request is refused", async () => {
    const res = await server.call("POST", `${v3}/createRoom`, { body: {} });
    expect(res.status).toBe(401);
  });
});

// Room membership through the client API: join (by id, by alias, restricted rooms, guests),
// invite, leave, kick, ban, unban, knock, forget; reasons; profile changes and deactivation.
// https://spec.matrix.org/v1.19/client-server-api/#room-membership
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { passwordAuth } from "../helpers/user-data.ts";
import { roomsTestServer, type RoomsTestServer, type Session } from "../helpers/rooms.ts";

let server: RoomsTestServer;
let alice: Session;
let bob: Session;
let carol: Session;
const v3 = "/_matrix/client/v3";
const enc = encodeURIComponent;

beforeAll(async () => {
  server = await roomsTestServer({ ALLOW_GUEST_ACCESS: "true" });
  alice = await server.register("alice");
  bob = await server.register("bob");
  carol = await server.register("carol");
});
afterAll(() => server.close());

const post = (user: Session, roomId: string, action: string, body: Record<string, unknown> = {}) =>
  server.call("POST", `${v3}/rooms/${enc(roomId)}/${action}`, { token: user.token, body });
const knock = (user: Session, roomIdOrAlias: string, body: Record<string, unknown> = {}) =>
  server.call("POST", `${v3}/knock/${enc(roomIdOrAlias)}`, { token: user.token, body });
async function member(viewer: Session, roomId: string, userId: string): Promise<any> {
  const res = await server.getState(viewer, roomId, "m.room.member", userId);
  return res.status === 200 ? res.body : undefined;
}
function expectRefused(res: { status: number; body: any }, status = 403, errcode = "M_FORBIDDEN") {
  expect(res.status).toBe(status);
  expect(res.body.errcode).toBe(errcode);
}

describe("join", () => {
  test("by room id (both endpoints) and by alias; unknown rooms and aliases are 404", async () => {
    const roomId = await server.createRoom(alice, { preset: "public_chat", room_alias_name: "joinable" });
    expect(await post(bob, roomId, "join")).toEqual({ status: 200, body: { room_id: roomId } });
    expect(await server.join(carol, "#joinable:test.local")).toEqual({ status: 200, body: { room_id: roomId } });
    expect((await member(alice, roomId, carol.userId)).membership).toBe("join");
    expectRefused(await server.join(carol, "#nowhere:test.local"), 404, "M_NOT_FOUND");
    expectRefused(await server.join(carol, "!nowhere:test.local"), 404, "M_NOT_FOUND");
    expectRefused(await server.join(carol, "nowhere"), 400, "M_INVALID_PARAM");
  });

  test("the join reason and the joiner's profile are in the member event", async () => {
    await server.ok("PUT", `${v3}/profile/${enc(carol.userId)}/displayname`, { token: carol.token, body: { displayname: "Carol" } });
    const roomId = await server.createRoom(alice, { preset: "public_chat" });
    expect((await post(carol, roomId, "join", { reason: "curious" })).status).toBe(200);
    expect(await member(alice, roomId, carol.userId)).toEqual({ membership: "join", displayname: "Carol", reason: "curious" });
  });

  test("invite-only rooms need an invite; banned users cannot join", async () => {
    const roomId = await server.createRoom(alice);
    expectRefused(await server.join(bob, roomId));
    expect((await post(alice, roomId, "invite", { user_id: bob.userId, reason: "welcome" })).status).toBe(200);
    expect(await member(alice, roomId, bob.userId)).toMatchObject({ membership: "invite", reason: "welcome" });
    expect((await server.join(bob, roomId)).status).toBe(200);
    expect((await post(alice, roomId, "ban", { user_id: bob.userId, reason: "spam" })).status).toBe(200);
    expect(await member(alice, roomId, bob.userId)).toEqual({ membership: "ban", reason: "spam" });
    expectRefused(await server.join(bob, roomId));
    expectRefused(await server.invite(alice, roomId, bob.userId));
  });
});

describe("restricted rooms", () => {
  test("members of an allowed space join without invite, others are refused", async () => {
    const spaceId = await server.createRoom(alice, { preset: "public_chat", creation_content: { type: "m.space" } });
    expect((await server.join(bob, spaceId)).status).toBe(200);
    const roomId = await server.createRoom(alice, {
      room_version: "10",
      initial_state: [{ type: "m.room.join_rules", content: { join_rule: "restricted", allow: [{ type: "m.room_membership", room_id: spaceId }] } }],
    });
    expect((await server.join(bob, roomId)).status).toBe(200);
    expect((await member(alice, roomId, bob.userId)).join_authorised_via_users_server).toBe(alice.userId);
    expectRefused(await server.join(carol, roomId));
    // Leaving the space does not remove bob; carol joins the space and then may join.
    expect((await server.join(carol, spaceId)).status).toBe(200);
    expect(await server.join(carol, roomId)).toEqual({ status: 200, body: { room_id: roomId } });
  });

  test("an invited user joins a restricted room without the condition", async () => {
    const roomId = await server.createRoom(alice, {
      room_version: "9",
      initial_state: [{ type: "m.room.join_rules", content: { join_rule: "restricted", allow: [{ type: "m.room_membership", room_id: "!elsewhere:test.local" }] } }],
    });
    expectRefused(await server.join(bob, roomId));
    expect((await server.invite(alice, roomId, bob.userId)).status).toBe(200);
    expect((await server.join(bob, roomId)).status).toBe(200);
    expect((await member(alice, roomId, bob.userId)).join_authorised_via_users_server).toBeUndefined();
  });
});

describe("guests", () => {
  test("guests join rooms with guest_access can_join, other rooms answer M_GUEST_ACCESS_FORBIDDEN", async () => {
    const guest = await server.registerGuest();
    const open = await server.createRoom(alice, { preset: "public_chat", initial_state: [{ type: "m.room.guest_access", content: { guest_access: "can_join" } }] });
    expect((await post(guest, open, "join")).status).toBe(200);
    const closed = await server.createRoom(alice, { preset: "public_chat" });
    expectRefused(await server.join(guest, closed), 403, "M_GUEST_ACCESS_FORBIDDEN");
    expectRefused(await post(guest, closed, "join"), 403, "M_GUEST_ACCESS_FORBIDDEN");
    // PUT /state is open to guests (v1.2), but not as a way around the rule.
    expectRefused(await server.setState(guest, closed, "m.room.member", guest.userId, { membership: "join" }), 403, "M_GUEST_ACCESS_FORBIDDEN");
    // An invite does not lift the rule; a room without guest_access state refuses too.
    const invited = await server.createRoom(alice, { initial_state: [{ type: "m.room.guest_access", content: { guest_access: "forbidden" } }] });
    expect((await server.invite(alice, invited, guest.userId)).status).toBe(200);
    expectRefused(await server.join(guest, invited), 403, "M_GUEST_ACCESS_FORBIDDEN");
    // Guests may not knock (not in the guest endpoint list).
    expectRefused(await knock(guest, open), 403, "M_GUEST_ACCESS_FORBIDDEN");
    expect((await post(guest, open, "leave")).status).toBe(200);
  });
});

describe("leave, kick, ban, unban", () => {
  test("leave with a reason; leaving a room never joined is refused; an invite is rejected by leaving", async () => {
    const roomId = await server.createRoom(alice, { preset: "public_chat" });
    expectRefused(await post(bob, roomId, "leave"));
    expectRefused(await post(bob, "!unknown:test.local", "leave"));
    expect((await server.join(bob, roomId)).status).toBe(200);
    expect((await post(bob, roomId, "leave", { reason: "bye" })).status).toBe(200);
    expect(await member(alice, roomId, bob.userId)).toEqual({ membership: "leave", reason: "bye" });
    expectRefused(await post(bob, roomId, "leave"));
    const invited = await server.createRoom(alice, { invite: [carol.userId] });
    expect((await post(carol, invited, "leave")).status).toBe(200);
    expect((await member(alice, invited, carol.userId)).membership).toBe("leave");
  });

  test("kick needs the kick level; kicked users may rejoin a public room; the kick reason is kept", async () => {
    const roomId = await server.createRoom(alice, { preset: "public_chat" });
    await server.join(bob, roomId);
    await server.join(carol, roomId);
    expectRefused(await post(bob, roomId, "kick", { user_id: carol.userId }));
    expect((await post(alice, roomId, "kick", { user_id: carol.userId, reason: "calm down" })).status).toBe(200);
    expect(await member(alice, roomId, carol.userId)).toEqual({ membership: "leave", reason: "calm down" });
    expectRefused(await post(alice, roomId, "kick", { user_id: carol.userId }));
    expect((await server.join(carol, roomId)).status).toBe(200);
    expectRefused(await post(alice, roomId, "kick", { user_id: "not-a-user" }), 400, "M_INVALID_PARAM");
  });

  test("ban needs the ban level; unban only a banned user; after unban the user may join again", async () => {
    const roomId = await server.createRoom(alice, { preset: "public_chat" });
    await server.join(bob, roomId);
    expectRefused(await post(bob, roomId, "ban", { user_id: alice.userId }));
    expectRefused(await post(alice, roomId, "unban", { user_id: carol.userId }));
    // Users not in the room can be banned.
    expect((await post(alice, roomId, "ban", { user_id: carol.userId })).status).toBe(200);
    expectRefused(await server.join(carol, roomId));
    expectRefused(await post(bob, roomId, "unban", { user_id: carol.userId }));
    expect((await post(alice, roomId, "unban", { user_id: carol.userId, reason: "second chance" })).status).toBe(200);
    expect(await member(alice, roomId, carol.userId)).toEqual({ membership: "leave", reason: "second chance" });
    expect((await server.join(carol, roomId)).status).toBe(200);
  });

  test("bad bodies are 400 M_BAD_JSON", async () => {
    const roomId = await server.createRoom(alice);
    expectRefused(await post(alice, roomId, "ban", {}), 400, "M_BAD_JSON");
    expectRefused(await post(alice, roomId, "invite", { user_id: 5 }), 400, "M_BAD_JSON");
    expectRefused(await post(alice, roomId, "leave", { reason: 5 }), 400, "M_BAD_JSON");
  });
});

describe("knock", () => {
  test("in a knock room (v7+): knock with a reason, then invite and join", async () => {
    const roomId = await server.createRoom(alice, { room_version: "7", initial_state: [{ type: "m.room.join_rules", content: { join_rule: "knock" } }] });
    expect(await knock(bob, roomId, { reason: "let me in" })).toEqual({ status: 200, body: { room_id: roomId } });
    expect(await member(alice, roomId, bob.userId)).toMatchObject({ membership: "knock", reason: "let me in" });
    expectRefused(await server.join(bob, roomId));
    expect((await server.invite(alice, roomId, bob.userId)).status).toBe(200);
    expect((await server.join(bob, roomId)).status).toBe(200);
    // Joined users cannot knock.
    expectRefused(await knock(bob, roomId));
  });

  test("a knock is retracted by leave and rejected by kick", async () => {
    const roomId = await server.createRoom(alice, { initial_state: [{ type: "m.room.join_rules", content: { join_rule: "knock" } }], room_alias_name: "knockme" });
    expect((await knock(bob, "#knockme:test.local")).status).toBe(200);
    expect((await post(bob, roomId, "leave")).status).toBe(200);
    expect((await knock(bob, roomId)).status).toBe(200);
    expect((await post(alice, roomId, "kick", { user_id: bob.userId })).status).toBe(200);
    expect((await member(alice, roomId, bob.userId)).membership).toBe("leave");
  });

  test("refused where the join rule is not knock, in versions without knocking, and for banned users", async () => {
    expectRefused(await knock(bob, await server.createRoom(alice, { preset: "public_chat" })));
    expectRefused(await knock(bob, await server.createRoom(alice)));
    const v6 = await server.createRoom(alice, { room_version: "6", initial_state: [{ type: "m.room.join_rules", content: { join_rule: "knock" } }] });
    expectRefused(await knock(bob, v6));
    const banned = await server.createRoom(alice, { initial_state: [{ type: "m.room.join_rules", content: { join_rule: "knock" } }] });
    await post(alice, banned, "ban", { user_id: bob.userId });
    expectRefused(await knock(bob, banned));
    expectRefused(await knock(bob, "#nothing:test.local"), 404, "M_NOT_FOUND");
  });
});

describe("forget", () => {
  const forgotten = async (userId: string, roomId: string) =>
    (await server.rooms.repo.sql`select 1 from forgotten_rooms where user_id = ${userId} and room_id = ${roomId}`).length === 1;

  test("after leave; refused while joined or invited; a rejoin clears it", async () => {
    const roomId = await server.createRoom(alice, { preset: "public_chat" });
    await server.join(bob, roomId);
    expectRefused(await post(bob, roomId, "forget"), 400, "M_UNKNOWN");
    await post(bob, roomId, "leave");
    expect((await post(bob, roomId, "forget")).status).toBe(200);
    expect(await forgotten(bob.userId, roomId)).toBe(true);
    await server.join(bob, roomId);
    expect(await forgotten(bob.userId, roomId)).toBe(false);
    const invited = await server.createRoom(alice, { invite: [carol.userId] });
    expectRefused(await post(carol, invited, "forget"), 400, "M_UNKNOWN");
  });

  test("a banned user may forget; a room never joined is a no-op", async () => {
    const roomId = await server.createRoom(alice, { preset: "public_chat" });
    await server.join(bob, roomId);
    await post(alice, roomId, "ban", { user_id: bob.userId });
    expect((await post(bob, roomId, "forget")).status).toBe(200);
    const other = await server.createRoom(alice);
    expect((await post(carol, other, "forget")).status).toBe(200);
    expect(await forgotten(carol.userId, other)).toBe(false);
  });
});

describe("profile changes and deactivation", () => {
  test("a new display name is sent as a member event to each joined room, not to rooms left", async () => {
    const dave = await server.register("dave");
    const joined = await server.createRoom(alice, { preset: "public_chat" });
    const left = await server.createRoom(alice, { preset: "public_chat" });
    await server.join(dave, joined);
    await server.join(dave, left);
    await post(dave, left, "leave");
    await server.ok("PUT", `${v3}/profile/${enc(dave.userId)}/displayname`, { token: dave.token, body: { displayname: "Dave" } });
    expect(await member(alice, joined, dave.userId)).toEqual({ membership: "join", displayname: "Dave" });
    expect(await member(alice, left, dave.userId)).toEqual({ membership: "leave" });
    await server.ok("PUT", `${v3}/profile/${enc(dave.userId)}/avatar_url`, { token: dave.token, body: { avatar_url: "mxc://test.local/a" } });
    expect(await member(alice, joined, dave.userId)).toEqual({ membership: "join", displayname: "Dave", avatar_url: "mxc://test.local/a" });
  });

  test("deactivation leaves every joined, invited and knocked room", async () => {
    const erin = await server.register("erin", "pw");
    const joined = await server.createRoom(alice, { preset: "public_chat" });
    const invited = await server.createRoom(alice, { invite: [erin.userId] });
    const knocked = await server.createRoom(alice, { initial_state: [{ type: "m.room.join_rules", content: { join_rule: "knock" } }] });
    await server.join(erin, joined);
    await knock(erin, knocked);
    const res = await server.call("POST", `${v3}/account/deactivate`, { token: erin.token, body: { auth: passwordAuth(erin.userId, "pw") } });
    expect(res.status).toBe(200);
    for (const roomId of [joined, invited, knocked]) expect((await member(alice, roomId, erin.userId)).membership).toBe("leave");
  });
});

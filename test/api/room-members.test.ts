// Members: GET /rooms/{roomId}/members (at, membership, not_membership), /joined_members, /joined_rooms.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { roomsTestServer, type RoomsTestServer, type Session } from "../helpers/rooms.ts";

let server: RoomsTestServer;
let alice: Session;
let bob: Session;
let carol: Session;
let dave: Session;

const enc = encodeURIComponent;
const v3 = "/_matrix/client/v3";
const room = (roomId: string) => `${v3}/rooms/${enc(roomId)}`;

beforeAll(async () => {
  server = await roomsTestServer({ ALLOW_GUEST_ACCESS: "true" });
  alice = await server.register("alice");
  bob = await server.register("bob");
  carol = await server.register("carol");
  dave = await server.register("dave");
});
afterAll(() => server.close());

const members = (user: Session, roomId: string, query = "") => server.call("GET", `${room(roomId)}/members${query ? `?${query}` : ""}`, { token: user.token });
async function memberships(user: Session, roomId: string, query = ""): Promise<Record<string, string>> {
  const res = await members(user, roomId, query);
  if (res.status !== 200) throw new Error(`members: ${res.status} ${JSON.stringify(res.body)}`);
  for (const e of res.body.chunk) expect(e.type).toBe("m.room.member");
  return Object.fromEntries(res.body.chunk.map((e: any) => [e.state_key, e.content.membership]));
}
const leave = (user: Session, roomId: string) => server.ok("POST", `${room(roomId)}/leave`, { token: user.token, body: {} });
const ban = (user: Session, roomId: string, target: string) => server.ok("POST", `${room(roomId)}/ban`, { token: user.token, body: { user_id: target } });
const newestToken = async (user: Session, roomId: string) =>
  (await server.ok("GET", `${room(roomId)}/messages?dir=b&limit=1`, { token: user.token })).start as string;

/** A public room with alice (creator), bob joined, carol invited, dave banned. */
async function populatedRoom(): Promise<string> {
  const roomId = await server.createRoom(alice, { preset: "public_chat" });
  expect((await server.join(bob, roomId)).status).toBe(200);
  expect((await server.invite(alice, roomId, carol.userId)).status).toBe(200);
  await ban(alice, roomId, dave.userId);
  return roomId;
}

describe("GET /members", () => {
  test("the current member events, filtered by membership and not_membership", async () => {
    const roomId = await populatedRoom();
    expect(await memberships(alice, roomId)).toEqual({ [alice.userId]: "join", [bob.userId]: "join", [carol.userId]: "invite", [dave.userId]: "ban" });
    expect(await memberships(alice, roomId, "membership=join")).toEqual({ [alice.userId]: "join", [bob.userId]: "join" });
    expect(await memberships(alice, roomId, "not_membership=join")).toEqual({ [carol.userId]: "invite", [dave.userId]: "ban" });
    // Both: either condition admits a member.
    expect(await memberships(alice, roomId, "membership=ban&not_membership=join")).toEqual({ [carol.userId]: "invite", [dave.userId]: "ban" });
    expect(await memberships(alice, roomId, "membership=invite&not_membership=invite")).toEqual({
      [alice.userId]: "join", [bob.userId]: "join", [carol.userId]: "invite", [dave.userId]: "ban",
    });
    // The events are served in full, with their event ids.
    const res = await members(alice, roomId, "membership=invite");
    expect(res.body.chunk[0].event_id).toMatch(/^\$/);
    expect(res.body.chunk[0].sender).toBe(alice.userId);
  });

  test("at: the members at a pagination token", async () => {
    const roomId = await server.createRoom(alice, { preset: "public_chat" });
    const before = await newestToken(alice, roomId);
    expect((await server.join(bob, roomId)).status).toBe(200);
    expect(await memberships(alice, roomId, `at=${before}`)).toEqual({ [alice.userId]: "join" });
    expect(await memberships(alice, roomId, `at=${await newestToken(alice, roomId)}`)).toEqual({ [alice.userId]: "join", [bob.userId]: "join" });
    // A sync-style token with further streams after the room position reads the same.
    expect(await memberships(alice, roomId, `at=${before}_7_3`)).toEqual({ [alice.userId]: "join" });
    const early = await members(alice, roomId, "at=s0");
    expect([early.status, early.body.errcode]).toEqual([404, "M_NOT_FOUND"]);
  });

  test("a user who left sees the members as they were when they left", async () => {
    const roomId = await server.createRoom(alice, { preset: "public_chat" });
    expect((await server.join(bob, roomId)).status).toBe(200);
    await leave(bob, roomId);
    expect((await server.join(carol, roomId)).status).toBe(200);
    expect(await memberships(bob, roomId)).toEqual({ [alice.userId]: "join", [bob.userId]: "leave" });
    // A later token is capped at their leave.
    expect(await memberships(bob, roomId, `at=${await newestToken(alice, roomId)}`)).toEqual({ [alice.userId]: "join", [bob.userId]: "leave" });
    expect(await memberships(alice, roomId)).toEqual({ [alice.userId]: "join", [bob.userId]: "leave", [carol.userId]: "join" });
  });

  test("history visibility: joined members cannot read the members before their join", async () => {
    const roomId = await server.createRoom(alice, { preset: "public_chat" });
    expect((await server.setState(alice, roomId, "m.room.history_visibility", "", { history_visibility: "joined" })).status).toBe(200);
    await server.sendText(alice, roomId, "members only");
    const before = await newestToken(alice, roomId);
    expect((await server.join(bob, roomId)).status).toBe(200);
    const res = await members(bob, roomId, `at=${before}`);
    expect([res.status, res.body.errcode]).toEqual([403, "M_FORBIDDEN"]);
    expect(await memberships(bob, roomId)).toEqual({ [alice.userId]: "join", [bob.userId]: "join" });
  });

  test("non-members are refused unless the room is world readable (guests included)", async () => {
    const roomId = await server.createRoom(alice, { preset: "public_chat" });
    const refused = await members(carol, roomId);
    expect([refused.status, refused.body.errcode]).toEqual([403, "M_FORBIDDEN"]);
    expect((await members(carol, "!unknown:test.local")).status).toBe(403);
    expect((await server.setState(alice, roomId, "m.room.history_visibility", "", { history_visibility: "world_readable" })).status).toBe(200);
    expect(await memberships(carol, roomId)).toEqual({ [alice.userId]: "join" });
    const guest = await server.registerGuest();
    expect(await memberships(guest, roomId)).toEqual({ [alice.userId]: "join" });
  });

  test("bad parameters are refused", async () => {
    const roomId = await server.createRoom(alice);
    for (const query of ["membership=member", "not_membership=joined", "at=yesterday"]) {
      const res = await members(alice, roomId, query);
      expect([query, res.status, res.body.errcode]).toEqual([query, 400, "M_INVALID_PARAM"]);
    }
  });
});

describe("GET /joined_members", () => {
  test("joined users with their display names and avatars", async () => {
    const roomId = await populatedRoom();
    await server.ok("PUT", `${v3}/profile/${enc(bob.userId)}/displayname`, { token: bob.token, body: { displayname: "Bobby" } });
    await server.ok("PUT", `${v3}/profile/${enc(bob.userId)}/avatar_url`, { token: bob.token, body: { avatar_url: "mxc://test.local/bob" } });
    const res = await server.ok("GET", `${room(roomId)}/joined_members`, { token: alice.token });
    expect(res.joined[bob.userId]).toEqual({ display_name: "Bobby", avatar_url: "mxc://test.local/bob" });
    expect(Object.keys(res.joined).sort()).toEqual([alice.userId, bob.userId].sort());
    expect(res.joined[alice.userId].avatar_url).toBeUndefined();
  });

  test("only members may ask; guests may not call it", async () => {
    const roomId = await populatedRoom();
    for (const user of [carol, dave]) {
      const res = await server.call("GET", `${room(roomId)}/joined_members`, { token: user.token });
      expect([res.status, res.body.errcode]).toEqual([403, "M_FORBIDDEN"]);
    }
    await leave(bob, roomId);
    expect((await server.call("GET", `${room(roomId)}/joined_members`, { token: bob.token })).status).toBe(403);
    const guest = await server.registerGuest();
    const res = await server.call("GET", `${room(roomId)}/joined_members`, { token: guest.token });
    expect([res.status, res.body.errcode]).toEqual([403, "M_GUEST_ACCESS_FORBIDDEN"]);
  });
});

describe("GET /joined_rooms", () => {
  test("the rooms the user is joined to, not those invited to or left", async () => {
    const erin = await server.register("erin");
    const joined = await server.createRoom(erin);
    const left = await server.createRoom(erin);
    await leave(erin, left);
    const invitedTo = await server.createRoom(alice);
    expect((await server.invite(alice, invitedTo, erin.userId)).status).toBe(200);
    expect((await server.ok("GET", `${v3}/joined_rooms`, { token: erin.token })).joined_rooms).toEqual([joined]);
    expect((await server.call("GET", `${v3}/joined_rooms`)).status).toBe(401);
  });
});

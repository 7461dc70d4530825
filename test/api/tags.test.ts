// Room tags through HTTP: stored as m.tag room account data; only one's own; name and order checks.
// https://spec.matrix.org/v1.19/client-server-api/#room-tagging
import { afterAll, beforeAll, expect, test } from "bun:test";
import { MAX_TAG_BYTES } from "../../src/rooms/tags.ts";
import { roomEphemeralTestServer, type RoomEphemeralTestServer, type Session } from "./room-ephemeral-server.ts";

let s: RoomEphemeralTestServer;
let alice: Session;
let bob: Session;
const ROOM = "!tags:test.local";
const enc = encodeURIComponent;
const tags = (userId: string, room = ROOM, version = "v3") => `/_matrix/client/${version}/user/${enc(userId)}/rooms/${enc(room)}/tags`;
const tag = (userId: string, name: string, room = ROOM) => `${tags(userId, room)}/${enc(name)}`;
const expectError = (res: { status: number; body: any }, status: number, errcode: string) => expect([res.status, res.body?.errcode]).toEqual([status, errcode]);

beforeAll(async () => {
  s = await roomEphemeralTestServer();
  alice = await s.register("alice");
  bob = await s.register("bob");
  s.rooms.addRoom(ROOM, { [alice.userId]: "join", [bob.userId]: "leave" });
});
afterAll(() => s.close());

test("no tags yet: an empty object", async () => {
  expect(await s.call("GET", tags(alice.userId), { token: alice.token })).toEqual({ status: 200, body: { tags: {} } });
});

test("put, list, replace, delete; stored as the m.tag account data event", async () => {
  expect(await s.call("PUT", tag(alice.userId, "m.favourite"), { token: alice.token, body: { order: 0.25 } })).toEqual({ status: 200, body: {} });
  await s.call("PUT", tag(alice.userId, "u.Work"), { token: alice.token, body: {} });
  await s.call("PUT", tag(alice.userId, "m.favourite"), { token: alice.token, body: { order: 1 } });
  const expected = { tags: { "m.favourite": { order: 1 }, "u.Work": {} } };
  expect((await s.call("GET", tags(alice.userId, ROOM, "r0"), { token: alice.token })).body).toEqual(expected);
  const accountData = await s.call("GET", `/_matrix/client/v3/user/${enc(alice.userId)}/rooms/${enc(ROOM)}/account_data/m.tag`, { token: alice.token });
  expect(accountData.body).toEqual(expected);
  expect((await s.call("DELETE", tag(alice.userId, "u.Work"), { token: alice.token })).status).toBe(200);
  expect((await s.call("DELETE", tag(alice.userId, "u.Absent"), { token: alice.token })).status).toBe(200);
  expect((await s.call("GET", tags(alice.userId), { token: alice.token })).body).toEqual({ tags: { "m.favourite": { order: 1 } } });
});

test("concurrent puts of different tags keep both", async () => {
  await Promise.all(["u.a", "u.b", "u.c"].map((name) => s.call("PUT", tag(alice.userId, name), { token: alice.token, body: {} })));
  expect(Object.keys((await s.call("GET", tags(alice.userId), { token: alice.token })).body.tags).sort()).toEqual(["m.favourite", "u.a", "u.b", "u.c"]);
});

test("a former member may tag the room too (any membership, as Synapse)", async () => {
  expect((await s.call("PUT", tag(bob.userId, "m.lowpriority"), { token: bob.token, body: {} })).status).toBe(200);
});

test("refusals: someone else's tags, no membership, name too long, bad order, malformed body", async () => {
  expectError(await s.call("GET", tags(alice.userId), { token: bob.token }), 403, "M_FORBIDDEN");
  expectError(await s.call("PUT", tag(alice.userId, "u.x"), { token: bob.token, body: {} }), 403, "M_FORBIDDEN");
  expectError(await s.call("DELETE", tag(alice.userId, "m.favourite"), { token: bob.token }), 403, "M_FORBIDDEN");
  expectError(await s.call("PUT", tag(alice.userId, "u.x", "!elsewhere:test.local"), { token: alice.token, body: {} }), 403, "M_FORBIDDEN");
  expectError(await s.call("PUT", tag(alice.userId, "u.x", "elsewhere"), { token: alice.token, body: {} }), 400, "M_INVALID_PARAM");
  expectError(await s.call("GET", tags(alice.userId, "elsewhere"), { token: alice.token }), 400, "M_INVALID_PARAM");
  expectError(await s.call("PUT", tag(alice.userId, "u." + "é".repeat(MAX_TAG_BYTES / 2)), { token: alice.token, body: {} }), 400, "M_INVALID_PARAM");
  expect((await s.call("PUT", tag(alice.userId, "u." + "x".repeat(MAX_TAG_BYTES - 2)), { token: alice.token, body: {} })).status).toBe(200);
  for (const order of [-0.1, 1.01, "0.5", null, true]) {
    expectError(await s.call("PUT", tag(alice.userId, "u.bad"), { token: alice.token, body: { order } }), 400, "M_BAD_JSON");
  }
  expectError(await s.call("PUT", tag(alice.userId, "u.bad"), { token: alice.token, rawBody: "[0.5]" }), 400, "M_NOT_JSON");
  expect((await s.call("GET", tags(alice.userId), { token: alice.token })).body.tags["u.bad"]).toBeUndefined();
});

// Typing through HTTP: set, stop, timeouts on the fake clock, refusals.
// https://spec.matrix.org/v1.19/client-server-api/#typing-notifications
import { afterAll, beforeAll, expect, test } from "bun:test";
import { MAX_TYPING_TIMEOUT_MS } from "../../src/rooms/typing.ts";
import { roomEphemeralTestServer, type RoomEphemeralTestServer, type Session } from "./room-ephemeral-server.ts";

let s: RoomEphemeralTestServer;
let alice: Session;
let bob: Session;
const ROOM = "!typing:test.local";
const path = (userId: string, room = ROOM, version = "v3") => `/_matrix/client/${version}/rooms/${encodeURIComponent(room)}/typing/${encodeURIComponent(userId)}`;
const expectError = (res: { status: number; body: any }, status: number, errcode: string) => expect([res.status, res.body?.errcode]).toEqual([status, errcode]);

beforeAll(async () => {
  s = await roomEphemeralTestServer();
  alice = await s.register("alice");
  bob = await s.register("bob");
  s.rooms.addRoom(ROOM, { [alice.userId]: "join", [bob.userId]: "invite" });
});
afterAll(() => s.close());

test("typing starts, expires after its timeout, and the hook hears both", async () => {
  expect(await s.call("PUT", path(alice.userId), { token: alice.token, body: { typing: true, timeout: 10_000 } })).toEqual({ status: 200, body: {} });
  expect(s.ephemeral.typing.typingUsers(ROOM)).toEqual([alice.userId]);
  s.time.advance(10_000);
  expect(s.ephemeral.typing.typingUsers(ROOM)).toEqual([]);
  expect(s.hooked.typing).toEqual([[ROOM, 1], [ROOM, 2]]);
});

test("typing false stops it (r0 path too); a timeout past the cap is capped", async () => {
  await s.call("PUT", path(alice.userId, ROOM, "r0"), { token: alice.token, body: { typing: true, timeout: 10 * MAX_TYPING_TIMEOUT_MS } });
  s.time.advance(MAX_TYPING_TIMEOUT_MS - 1);
  expect(s.ephemeral.typing.typingUsers(ROOM)).toEqual([alice.userId]);
  expect((await s.call("PUT", path(alice.userId), { token: alice.token, body: { typing: false } })).status).toBe(200);
  expect(s.ephemeral.typing.typingUsers(ROOM)).toEqual([]);
});

test("refusals: another user, not joined, bad room id, malformed bodies, no token", async () => {
  expectError(await s.call("PUT", path(bob.userId), { token: alice.token, body: { typing: true } }), 403, "M_FORBIDDEN");
  expectError(await s.call("PUT", path(bob.userId), { token: bob.token, body: { typing: true } }), 403, "M_FORBIDDEN");
  expectError(await s.call("PUT", path(alice.userId, "#alias:test.local"), { token: alice.token, body: { typing: true } }), 400, "M_INVALID_PARAM");
  for (const body of [{}, { typing: "yes" }, { typing: true, timeout: "30000" }, { typing: true, timeout: 1.5 }]) {
    expectError(await s.call("PUT", path(alice.userId), { token: alice.token, body }), 400, "M_BAD_JSON");
  }
  expectError(await s.call("PUT", path(alice.userId), { token: alice.token, rawBody: "true" }), 400, "M_NOT_JSON");
  expectError(await s.call("PUT", path(alice.userId), { body: { typing: true } }), 401, "M_MISSING_TOKEN");
  expect(s.ephemeral.typing.typingUsers(ROOM)).toEqual([]);
});

test("leaving the room (a membership event on the bus) ends the typing", async () => {
  await s.call("PUT", path(alice.userId), { token: alice.token, body: { typing: true, timeout: 30_000 } });
  const member = (membership: string) => ({ event: { type: "m.room.member", roomId: ROOM, stateKey: alice.userId, membership } }) as never;
  s.bus.emit(member("join"));
  expect(s.ephemeral.typing.typingUsers(ROOM)).toEqual([alice.userId]);
  s.bus.emit(member("leave"));
  expect(s.ephemeral.typing.typingUsers(ROOM)).toEqual([]);
});

// GET/PUT /presence/{userId}/status through HTTP: who may read, who may set, bad bodies, the idle
// timeout on the test clock, activity from sends, and presence turned off.
// https://spec.matrix.org/v1.19/client-server-api/#presence
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { MAX_STATUS_MSG_CHARS, SYNC_POLL_ALLOWANCE_MS } from "../../src/sync/presence-state.ts";
import { roomsTestServer, type RoomsTestServer, type Session } from "../helpers/rooms.ts";

const status = (userId: string, version = "v3") => `/_matrix/client/${version}/presence/${encodeURIComponent(userId)}/status`;
const expectError = (res: { status: number; body: any }, code: number, errcode: string) => expect([res.status, res.body?.errcode]).toEqual([code, errcode]);

describe("presence enabled", () => {
  let s: RoomsTestServer;
  let alice: Session;
  let bob: Session;
  let carol: Session;
  let roomId: string;

  beforeAll(async () => {
    s = await roomsTestServer();
    [alice, bob, carol] = [await s.register("alice"), await s.register("bob"), await s.register("carol")];
    roomId = await s.createRoom(alice, { preset: "public_chat" });
    expect((await s.join(bob, roomId)).status).toBe(200);
  });
  afterAll(() => s.close());

  test("a user with no presence yet is offline, to themselves and to room members", async () => {
    expect(await s.call("GET", status(alice.userId), { token: alice.token })).toEqual({ status: 200, body: { presence: "offline" } });
    expect(await s.call("GET", status(alice.userId), { token: bob.token })).toEqual({ status: 200, body: { presence: "offline" } });
  });

  test("PUT sets one's own presence and status; a member of a shared room reads it (r0 path too)", async () => {
    const put = await s.call("PUT", status(alice.userId), { token: alice.token, body: { presence: "online", status_msg: "at lunch" } });
    expect(put).toEqual({ status: 200, body: {} });
    const seen = await s.call("GET", status(alice.userId, "r0"), { token: bob.token });
    expect(seen.status).toBe(200);
    expect(seen.body).toMatchObject({ presence: "online", status_msg: "at lunch", currently_active: true });
    expect(seen.body.last_active_ago).toBeGreaterThanOrEqual(0);
    expect(seen.body.last_active_ago).toBeLessThan(5_000);
  });

  test("a PUT without status_msg clears it; unavailable carries no currently_active", async () => {
    await s.ok("PUT", status(alice.userId), { token: alice.token, body: { presence: "unavailable" } });
    const seen = await s.ok("GET", status(alice.userId), { token: alice.token });
    expect(seen.presence).toBe("unavailable");
    expect(seen).not.toContainKey("status_msg");
    expect(seen).not.toContainKey("currently_active");
  });

  test("GET refusals: no shared room (403), unknown local user (404), bad user id (400), remote stranger (403), no token (401)", async () => {
    expectError(await s.call("GET", status(alice.userId), { token: carol.token }), 403, "M_FORBIDDEN");
    expectError(await s.call("GET", status("@nobody:test.local"), { token: alice.token }), 404, "M_NOT_FOUND");
    expectError(await s.call("GET", status("not-a-user"), { token: alice.token }), 400, "M_INVALID_PARAM");
    expectError(await s.call("GET", status("@someone:elsewhere.example"), { token: alice.token }), 403, "M_FORBIDDEN");
    expectError(await s.call("GET", status(alice.userId)), 401, "M_MISSING_TOKEN");
  });

  test("an invited (not joined) user may not read; after leaving, a former room-mate may not either", async () => {
    expect((await s.invite(alice, roomId, carol.userId)).status).toBe(200);
    expectError(await s.call("GET", status(alice.userId), { token: carol.token }), 403, "M_FORBIDDEN");
    const other = await s.createRoom(carol);
    expect((await s.invite(carol, other, bob.userId)).status).toBe(200);
    expect((await s.join(bob, other)).status).toBe(200);
    expect((await s.call("GET", status(carol.userId), { token: bob.token })).status).toBe(200);
    await s.ok("POST", `/_matrix/client/v3/rooms/${encodeURIComponent(other)}/leave`, { token: bob.token, body: {} });
    expectError(await s.call("GET", status(carol.userId), { token: bob.token }), 403, "M_FORBIDDEN");
  });

  test("PUT refusals: another user's presence, bad values, wrong types, too long a status, not JSON", async () => {
    expectError(await s.call("PUT", status(bob.userId), { token: alice.token, body: { presence: "online" } }), 403, "M_FORBIDDEN");
    expectError(await s.call("PUT", status(alice.userId), { token: alice.token, body: { presence: "busy" } }), 400, "M_INVALID_PARAM");
    const long = "é".repeat(MAX_STATUS_MSG_CHARS + 1);
    expectError(await s.call("PUT", status(alice.userId), { token: alice.token, body: { presence: "online", status_msg: long } }), 400, "M_INVALID_PARAM");
    for (const body of [{}, { presence: 1 }, { presence: "online", status_msg: 5 }, { presence: "online", status_msg: null }]) {
      expectError(await s.call("PUT", status(alice.userId), { token: alice.token, body }), 400, "M_BAD_JSON");
    }
    expectError(await s.call("PUT", status(alice.userId), { token: alice.token, rawBody: "[]" }), 400, "M_NOT_JSON");
    expectError(await s.call("PUT", status(alice.userId), { body: { presence: "online" } }), 401, "M_MISSING_TOKEN");
    // A status of exactly the cap is fine; nothing refused above changed alice's presence.
    expect((await s.ok("GET", status(alice.userId), { token: alice.token })).presence).toBe("unavailable");
    await s.ok("PUT", status(alice.userId), { token: alice.token, body: { presence: "unavailable", status_msg: "é".repeat(MAX_STATUS_MSG_CHARS) } });
  });

  test("idle: online turns unavailable after idle_timeout; sending a message makes the user online again", async () => {
    const presence = s.services.presence;
    await s.ok("PUT", status(bob.userId), { token: bob.token, body: { presence: "online" } });
    await presence.setFromSync(bob.userId, "online");
    s.clock.offset += 2 * 60_000;
    await presence.setFromSync(bob.userId, "online"); // still polling: not idle yet, no longer currently active
    await presence.checkTimeouts();
    expect(await s.ok("GET", status(bob.userId), { token: alice.token })).toMatchObject({ presence: "online", currently_active: false });
    s.clock.offset += 3 * 60_000 + 1;
    await presence.setFromSync(bob.userId, "online");
    await presence.checkTimeouts();
    const idle = await s.ok("GET", status(bob.userId), { token: alice.token });
    expect(idle.presence).toBe("unavailable");
    expect(idle.last_active_ago).toBeGreaterThan(5 * 60_000);
    // Polling with set_presence=online does not end idleness; activity does.
    await presence.setFromSync(bob.userId, "online");
    expect((await s.ok("GET", status(bob.userId), { token: alice.token })).presence).toBe("unavailable");
    await s.sendText(bob, roomId, "back");
    const back = await s.ok("GET", status(bob.userId), { token: alice.token });
    expect(back).toMatchObject({ presence: "online", currently_active: true });
    expect(back.last_active_ago).toBeLessThan(5_000);
  });

  test("offline: a user whose client stops polling goes offline, keeping the status message", async () => {
    const presence = s.services.presence;
    await s.ok("PUT", status(alice.userId), { token: alice.token, body: { presence: "online", status_msg: "around" } });
    await presence.setFromSync(alice.userId, "online");
    const syncOnlineTimeout = 30_000; // the config default
    s.clock.offset += SYNC_POLL_ALLOWANCE_MS + syncOnlineTimeout - 1_000;
    await presence.checkTimeouts();
    expect((await s.ok("GET", status(alice.userId), { token: bob.token })).presence).toBe("online");
    s.clock.offset += 2_000;
    await presence.checkTimeouts();
    expect(await s.ok("GET", status(alice.userId), { token: bob.token })).toMatchObject({ presence: "offline", status_msg: "around" });
  });
});

describe("presence disabled (presence.enabled: false)", () => {
  let s: RoomsTestServer;
  let alice: Session;
  let bob: Session;

  beforeAll(async () => {
    s = await roomsTestServer({ PRESENCE__ENABLED: "false" });
    [alice, bob] = [await s.register("alice"), await s.register("bob")];
  });
  afterAll(() => s.close());

  test("GET answers offline for anyone, PUT is accepted and ignored, sync gets nothing (as Synapse)", async () => {
    expect(await s.call("PUT", status(alice.userId), { token: alice.token, body: { presence: "online", status_msg: "hi" } })).toEqual({ status: 200, body: {} });
    expect(await s.call("GET", status(alice.userId), { token: alice.token })).toEqual({ status: 200, body: { presence: "offline" } });
    expect(await s.call("GET", status(alice.userId), { token: bob.token })).toEqual({ status: 200, body: { presence: "offline" } });
    const presence = s.services.presence;
    await presence.setFromSync(alice.userId, "online");
    expect(presence.enabled).toBe(false);
    expect(presence.position()).toBe(0);
    expect(await presence.changes([alice.userId], 0, 100)).toEqual([]);
  });

  test("bad input is still refused", async () => {
    expectError(await s.call("PUT", status(alice.userId), { token: alice.token, body: { presence: "away" } }), 400, "M_INVALID_PARAM");
    expectError(await s.call("PUT", status(bob.userId), { token: alice.token, body: { presence: "online" } }), 403, "M_FORBIDDEN");
  });
});

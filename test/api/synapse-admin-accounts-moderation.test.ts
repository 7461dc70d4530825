// Locking (PUT v2/users `locked`) and suspending (PUT v1/suspend) accounts through HTTP.
// https://spec.matrix.org/v1.19/client-server-api/#account-locking, #account-suspension
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { roomsTestServer, type RoomsTestServer, type Session } from "../helpers/rooms.ts";

let s: RoomsTestServer;
let admin: Session;
let alice: Session;
let bob: Session;
const A = "/_synapse/admin";
const v3 = "/_matrix/client/v3";
const enc = encodeURIComponent;

beforeAll(async () => {
  s = await roomsTestServer();
  admin = await s.register("admin");
  await s.accounts.repo.setAdmin(admin.userId, true);
  alice = await s.register("alice");
  bob = await s.register("bob");
});
afterAll(() => s.close());

describe("locking", () => {
  test("a locked account gets 401 M_USER_LOCKED with soft_logout except on logout; listed only when asked; unlock restores", async () => {
    const mallory = await s.register("mallory");
    const second = await s.ok("POST", `${v3}/login`, { body: { type: "m.login.password", identifier: { type: "m.id.user", user: "mallory" }, password: "correct horse" } });
    expect((await s.call("GET", `${v3}/account/whoami`, { token: mallory.token })).status).toBe(200);
    expect((await s.call("PUT", `${A}/v2/users/${enc(mallory.userId)}`, { token: alice.token, body: { locked: true } })).status).toBe(403);
    const locked = await s.call("PUT", `${A}/v2/users/${enc(mallory.userId)}`, { token: admin.token, body: { locked: true } });
    expect(locked.status).toBe(200);
    expect(locked.body.locked).toBe(true);

    const refused = await s.call("GET", `${v3}/account/whoami`, { token: mallory.token });
    expect(refused.status).toBe(401);
    expect(refused.body).toMatchObject({ errcode: "M_USER_LOCKED", soft_logout: true });
    expect((await s.sync(mallory)).body.errcode).toBe("M_USER_LOCKED");

    const listed = (query: string) => s.ok("GET", `${A}/v2/users${query}`, { token: admin.token }).then((b) => b.users.map((u: any) => u.name));
    expect(await listed("")).not.toContain(mallory.userId);
    expect(await listed("?locked=true")).toContain(mallory.userId);

    expect((await s.call("PUT", `${A}/v2/users/${enc(mallory.userId)}`, { token: admin.token, body: { locked: false } })).body.locked).toBe(false);
    expect((await s.call("GET", `${v3}/account/whoami`, { token: mallory.token })).status).toBe(200);
    // Logout stays open while locked.
    await s.ok("PUT", `${A}/v2/users/${enc(mallory.userId)}`, { token: admin.token, body: { locked: true } });
    expect((await s.call("POST", `${v3}/logout`, { token: second.access_token, body: {} })).status).toBe(200);
    expect((await s.call("GET", `${v3}/account/whoami`, { token: second.access_token })).body.errcode).toBe("M_UNKNOWN_TOKEN");
  });
});

describe("suspension", () => {
  test("suspend refuses join, knock, invite, send, state and redacting others; leave and own redactions work; unsuspend restores", async () => {
    const room = await s.createRoom(alice, { preset: "public_chat" });
    const other = await s.createRoom(alice, { preset: "public_chat" });
    expect((await s.join(bob, room)).status).toBe(200);
    const aliceMessage = await s.sendText(alice, room, "alice speaks");
    const bobMessage = await s.sendText(bob, room, "bob speaks");
    await s.ok("PUT", `${v3}/rooms/${enc(room)}/state/m.room.power_levels/`, {
      token: alice.token, body: { users: { [alice.userId]: 100, [bob.userId]: 100 } },
    });

    expect((await s.call("PUT", `${A}/v1/suspend/${enc(bob.userId)}`, { token: alice.token, body: { suspend: true } })).status).toBe(403);
    expect((await s.call("PUT", `${A}/v1/suspend/${enc("@ghost:test.local")}`, { token: admin.token, body: { suspend: true } })).status).toBe(404);
    expect((await s.call("PUT", `${A}/v1/suspend/${enc("@bob:elsewhere.example")}`, { token: admin.token, body: { suspend: true } })).status).toBe(400);
    expect((await s.call("PUT", `${A}/v1/suspend/${enc(bob.userId)}`, { token: admin.token, body: { suspend: "yes" } })).status).toBe(400);
    const suspended = await s.call("PUT", `${A}/v1/suspend/${enc(bob.userId)}`, { token: admin.token, body: { suspend: true } });
    expect(suspended.body).toEqual({ [`user_${bob.userId}_suspended`]: true });
    expect((await s.ok("GET", `${A}/v2/users/${enc(bob.userId)}`, { token: admin.token })).suspended).toBe(true);

    const refusals = [
      await s.join(bob, other),
      await s.call("POST", `${v3}/knock/${enc(other)}`, { token: bob.token, body: {} }),
      await s.invite(bob, room, admin.userId),
      await s.send(bob, room, { msgtype: "m.text", body: "hi" }),
      await s.setState(bob, room, "m.room.topic", "", { topic: "x" }),
      await s.call("PUT", `${v3}/rooms/${enc(room)}/redact/${enc(aliceMessage)}/r1`, { token: bob.token, body: {} }),
    ];
    for (const res of refusals) expect([res.status, res.body.errcode]).toEqual([403, "M_USER_SUSPENDED"]);
    // Allowed: reading, redacting one's own events, leaving.
    expect((await s.sync(bob)).status).toBe(200);
    expect((await s.call("PUT", `${v3}/rooms/${enc(room)}/redact/${enc(bobMessage)}/r2`, { token: bob.token, body: {} })).status).toBe(200);
    expect((await s.call("POST", `${v3}/rooms/${enc(room)}/leave`, { token: bob.token, body: {} })).status).toBe(200);

    expect((await s.call("PUT", `${A}/v1/suspend/${enc(bob.userId)}`, { token: admin.token, body: { suspend: false } })).status).toBe(200);
    expect((await s.join(bob, other)).status).toBe(200);
    expect((await s.send(bob, other, { msgtype: "m.text", body: "back" })).status).toBe(200);
  });
});

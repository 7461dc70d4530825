// The spec's admin endpoints: lock, suspend and whois.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { roomsTestServer, type RoomsTestServer, type Session } from "../helpers/rooms.ts";

let server: RoomsTestServer;
let admin: Session;
let other: Session;
let alice: Session;
let bob: Session;
const enc = encodeURIComponent;
const path = (kind: "lock" | "suspend", userId: string) => `/_matrix/client/v1/admin/${kind}/${enc(userId)}`;

beforeAll(async () => {
  server = await roomsTestServer();
  admin = await server.register("admin");
  other = await server.register("otheradmin");
  alice = await server.register("alice");
  bob = await server.register("bob");
  await server.accounts.repo.setAdmin(admin.userId, true);
  await server.accounts.repo.setAdmin(other.userId, true);
});
afterAll(() => server.close());

describe("PUT/GET /admin/lock/{userId}", () => {
  test("locks and unlocks; the locked user gets M_USER_LOCKED with soft_logout", async () => {
    expect(await server.ok("GET", path("lock", alice.userId), { token: admin.token })).toEqual({ locked: false });
    expect(await server.ok("PUT", path("lock", alice.userId), { token: admin.token, body: { locked: true } })).toEqual({ locked: true });
    expect(await server.ok("GET", path("lock", alice.userId), { token: admin.token })).toEqual({ locked: true });
    const whoami = await server.call("GET", "/_matrix/client/v3/account/whoami", { token: alice.token });
    expect(whoami.status).toBe(401);
    expect(whoami.body).toMatchObject({ errcode: "M_USER_LOCKED", soft_logout: true });
    await server.ok("PUT", path("lock", alice.userId), { token: admin.token, body: { locked: false } });
    expect((await server.call("GET", "/_matrix/client/v3/account/whoami", { token: alice.token })).status).toBe(200);
  });

  test("refusals: non-admin 403 (before any lookup), remote 400, unknown 404, other admin 403, self 403, bad body 400", async () => {
    const check = async (method: string, userId: string, token: string, status: number, errcode: string, body?: unknown) => {
      const res = await server.call(method, path("lock", userId), { token, body });
      expect([res.status, res.body.errcode]).toEqual([status, errcode]);
    };
    await check("GET", "@nobody:test.local", bob.token, 403, "M_FORBIDDEN");
    await check("PUT", alice.userId, bob.token, 403, "M_FORBIDDEN", { locked: true });
    await check("GET", "@alice:elsewhere.example", admin.token, 400, "M_INVALID_PARAM");
    await check("GET", "not-a-user", admin.token, 400, "M_INVALID_PARAM");
    await check("GET", "@nobody:test.local", admin.token, 404, "M_NOT_FOUND");
    await check("PUT", other.userId, admin.token, 403, "M_FORBIDDEN", { locked: true });
    await check("GET", other.userId, admin.token, 403, "M_FORBIDDEN");
    await check("PUT", admin.userId, admin.token, 403, "M_FORBIDDEN", { locked: true });
    await check("PUT", alice.userId, admin.token, 400, "M_BAD_JSON", { locked: "yes" });
  });
});

describe("PUT/GET /admin/suspend/{userId}", () => {
  test("suspends: the user may no longer send; unsuspends", async () => {
    const roomId = await server.createRoom(bob);
    expect(await server.ok("PUT", path("suspend", bob.userId), { token: admin.token, body: { suspended: true } })).toEqual({ suspended: true });
    expect(await server.ok("GET", path("suspend", bob.userId), { token: admin.token })).toEqual({ suspended: true });
    const sent = await server.send(bob, roomId, { msgtype: "m.text", body: "hi" });
    expect([sent.status, sent.body.errcode]).toEqual([403, "M_USER_SUSPENDED"]);
    expect(await server.ok("PUT", path("suspend", bob.userId), { token: admin.token, body: { suspended: false } })).toEqual({ suspended: false });
    expect((await server.send(bob, roomId, { msgtype: "m.text", body: "hi" })).status).toBe(200);
  });

  test("refusals: non-admin, self, other admin, deactivated", async () => {
    const carol = await server.register("carol");
    await server.ok("POST", `/_synapse/admin/v1/deactivate/${enc(carol.userId)}`, { token: admin.token, body: {} });
    for (const [userId, token, status] of [
      [alice.userId, bob.token, 403], [admin.userId, admin.token, 403], [other.userId, admin.token, 403], [carol.userId, admin.token, 404],
    ] as const) {
      const res = await server.call("PUT", path("suspend", userId), { token, body: { suspended: true } });
      expect(res.status).toBe(status);
    }
  });
});

describe("GET /admin/whois/{userId}", () => {
  test("users may look themselves up; admins anyone", async () => {
    const own = await server.ok("GET", `/_matrix/client/v3/admin/whois/${enc(alice.userId)}`, { token: alice.token });
    expect(own.user_id).toBe(alice.userId);
    expect(own.devices[""].sessions[0].connections).toBeArray();
    expect((await server.ok("GET", `/_matrix/client/r0/admin/whois/${enc(alice.userId)}`, { token: admin.token })).user_id).toBe(alice.userId);
  });

  test("others get 403; admins get 404 for unknown users", async () => {
    const res = await server.call("GET", `/_matrix/client/v3/admin/whois/${enc(alice.userId)}`, { token: bob.token });
    expect([res.status, res.body.errcode]).toEqual([403, "M_FORBIDDEN"]);
    const unknown = await server.call("GET", `/_matrix/client/v3/admin/whois/${enc("@nobody:test.local")}`, { token: admin.token });
    expect(unknown.status).toBe(404);
  });
});

test("capabilities: m.account_moderation for server admins only", async () => {
  const capabilities = async (user: Session) => (await server.ok("GET", "/_matrix/client/v3/capabilities", { token: user.token })).capabilities;
  expect((await capabilities(admin))["m.account_moderation"]).toEqual({ lock: true, suspend: true });
  expect((await capabilities(bob))["m.account_moderation"]).toBeUndefined();
});

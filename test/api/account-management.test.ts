// Account management through HTTP: password change (UIA, logout_devices), deactivation (UIA,
// erase), GET /account/3pid.
// https://spec.matrix.org/v1.19/client-server-api/#account-management
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { createErasedUsersRepo } from "../../src/storage/repos/erased-users.ts";
import { passwordAuth, userDataTestServer, type Session, type UserDataTestServer } from "../helpers/user-data.ts";

let s: UserDataTestServer;
const whoami = (token: string) => s.call("GET", "/_matrix/client/v3/account/whoami", { token });

async function login(localpart: string, password: string): Promise<Session> {
  const res = await s.login(localpart, password);
  if (res.status !== 200) throw new Error(JSON.stringify(res.body));
  return { userId: res.body.user_id, deviceId: res.body.device_id, token: res.body.access_token };
}

beforeAll(async () => {
  s = await userDataTestServer({ ALLOW_GUEST_ACCESS: "true" });
});
afterAll(() => s.close());

describe("POST /account/password", () => {
  test("UIA with the old password; other devices logged out by default, the caller's kept", async () => {
    const alice = await s.register("alice", "old password");
    const other = await login("alice", "old password");
    const first = await s.call("POST", "/_matrix/client/v3/account/password", { token: alice.token, body: { new_password: "new password" } });
    expect(first.status).toBe(401);
    expect(first.body.flows).toEqual([{ stages: ["m.login.password"] }]);
    const wrong = await s.call("POST", "/_matrix/client/v3/account/password", {
      token: alice.token,
      body: { new_password: "new password", auth: passwordAuth(alice.userId, "not it", first.body.session) },
    });
    expect([wrong.status, wrong.body.errcode]).toEqual([401, "M_FORBIDDEN"]);
    expect((await s.login("alice", "new password")).status).toBe(403);

    const ok = await s.call("POST", "/_matrix/client/v3/account/password", {
      token: alice.token,
      body: { new_password: "new password", auth: passwordAuth(alice.userId, "old password", first.body.session) },
    });
    expect(ok).toEqual({ status: 200, body: {} });
    expect((await whoami(alice.token)).status).toBe(200);
    expect((await whoami(other.token)).body.errcode).toBe("M_UNKNOWN_TOKEN");
    expect((await s.login("alice", "old password")).status).toBe(403);
    expect((await s.login("alice", "new password")).status).toBe(200);
  });

  test("logout_devices: false keeps the other sessions", async () => {
    const bob = await s.register("bob", "first");
    const other = await login("bob", "first");
    const res = await s.call("POST", "/_matrix/client/v3/account/password", {
      token: bob.token,
      body: { new_password: "second", logout_devices: false, auth: passwordAuth(bob.userId, "first") },
    });
    expect(res.status).toBe(200);
    expect((await whoami(other.token)).status).toBe(200);
    expect((await s.login("bob", "second")).status).toBe(200);
  });

  test("an empty new password is refused before any auth", async () => {
    const carol = await s.register("carol", "pw");
    const res = await s.call("POST", "/_matrix/client/v3/account/password", { token: carol.token, body: { new_password: "", auth: passwordAuth(carol.userId, "pw") } });
    expect([res.status, res.body.errcode]).toEqual([400, "M_WEAK_PASSWORD"]);
    expect((await s.login("carol", "pw")).status).toBe(200);
  });

  test("needs an access token; guests are refused", async () => {
    expect((await s.call("POST", "/_matrix/client/v3/account/password", { body: { new_password: "x" } })).status).toBe(401);
    const guest = await s.registerGuest();
    const res = await s.call("POST", "/_matrix/client/v3/account/password", { token: guest.token, body: { new_password: "x" } });
    expect([res.status, res.body.errcode]).toEqual([403, "M_GUEST_ACCESS_FORBIDDEN"]);
  });
});

describe("POST /account/deactivate", () => {
  async function deactivate(session: Session, password: string, extra: Record<string, unknown> = {}) {
    return s.call("POST", "/_matrix/client/v3/account/deactivate", { token: session.token, body: { auth: passwordAuth(session.userId, password), ...extra } });
  }

  test("UIA first; a wrong password changes nothing", async () => {
    const dave = await s.register("dave", "pw");
    const first = await s.call("POST", "/_matrix/client/v3/account/deactivate", { token: dave.token, body: {} });
    expect(first.status).toBe(401);
    expect((await deactivate(dave, "wrong")).status).toBe(401);
    expect((await whoami(dave.token)).status).toBe(200);
  });

  test("revokes every token, refuses login, erases the profile, leaves rooms; keeps account data without erase", async () => {
    const erin = await s.register("erin", "pw");
    const other = await login("erin", "pw");
    await s.call("PUT", `/_matrix/client/v3/profile/${erin.userId}/displayname`, { token: erin.token, body: { displayname: "Erin" } });
    await s.call("PUT", `/_matrix/client/v3/user/${erin.userId}/account_data/org.example.x`, { token: erin.token, body: { a: 1 } });

    const res = await deactivate(erin, "pw");
    expect(res).toEqual({ status: 200, body: { id_server_unbind_result: "success" } });
    for (const token of [erin.token, other.token]) expect((await whoami(token)).body.errcode).toBe("M_UNKNOWN_TOKEN");
    const relogin = await s.login("erin", "pw");
    expect(relogin.status).toBe(403);
    expect(relogin.body.errcode).toBe("M_USER_DEACTIVATED");
    expect(await s.accounts.repo.listDevices(erin.userId)).toEqual([]);
    expect((await s.call("GET", `/_matrix/client/v3/profile/${erin.userId}`)).body).toEqual({});
    expect(s.hooked.leftRooms).toContain(erin.userId);
    expect(await s.userData.accountData.get(erin.userId, erin.userId, null, "org.example.x")).toEqual({ a: 1 });
    expect(await createErasedUsersRepo(s.db.db).isErased(erin.userId)).toBe(false);
    // The id stays taken.
    expect((await s.call("GET", "/_matrix/client/v3/register/available?username=erin")).status).toBe(400);
  });

  test("erase: true also deletes account data and records the erasure", async () => {
    const fay = await s.register("fay", "pw");
    await s.call("PUT", `/_matrix/client/v3/user/${fay.userId}/account_data/org.example.x`, { token: fay.token, body: { a: 1 } });
    expect((await deactivate(fay, "pw", { erase: true })).status).toBe(200);
    await expect(s.userData.accountData.get(fay.userId, fay.userId, null, "org.example.x")).rejects.toMatchObject({ errcode: "M_NOT_FOUND" });
    expect(await createErasedUsersRepo(s.db.db).isErased(fay.userId)).toBe(true);
  });
});

test("GET /account/3pid: none, honestly", async () => {
  const gus = await s.register("gus", "pw");
  expect(await s.call("GET", "/_matrix/client/v3/account/3pid", { token: gus.token })).toEqual({ status: 200, body: { threepids: [] } });
  expect((await s.call("GET", "/_matrix/client/v3/account/3pid")).status).toBe(401);
});

// Login, tokens, refresh, logout and whoami through HTTP.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { accountsTestServer, type AccountsTestServer } from "../helpers/accounts.ts";

const LENIENT = {
  RC_LOGIN__ADDRESS__BURST_COUNT: "1000", RC_LOGIN__ACCOUNT__BURST_COUNT: "1000", RC_LOGIN__FAILED_ATTEMPTS__BURST_COUNT: "1000",
  RC_LOGIN__ADDRESS__PER_SECOND: "1", RC_LOGIN__ACCOUNT__PER_SECOND: "1", RC_LOGIN__FAILED_ATTEMPTS__PER_SECOND: "1",
};

async function makeUser(s: AccountsTestServer, username: string, password = "correct horse") {
  await s.services.accounts.registration.registerByAdmin({ username, password, admin: false });
}
const passwordLogin = (s: AccountsTestServer, user: string, password: string, extra: Record<string, unknown> = {}, ip?: string) =>
  s.call("POST", "/_matrix/client/v3/login", { body: { type: "m.login.password", identifier: { type: "m.id.user", user }, password, ...extra }, ip });

describe("login", () => {
  let s: AccountsTestServer;
  beforeAll(async () => {
    s = await accountsTestServer({ ...LENIENT, LOGIN_VIA_EXISTING_SESSION__ENABLED: "true" });
    await makeUser(s, "alice");
  });
  afterAll(() => s.close());

  test("GET /login lists the flows accepted", async () => {
    const res = await s.call("GET", "/_matrix/client/v3/login");
    expect(res.body).toEqual({ flows: [{ type: "m.login.password" }, { type: "m.login.token", get_login_token: true }] });
    const closed = await accountsTestServer();
    try {
      expect((await closed.call("GET", "/_matrix/client/v3/login")).body).toEqual({ flows: [{ type: "m.login.password" }] });
    } finally {
      await closed.close();
    }
  });

  test("m.login.password with m.id.user, a full user id, and the legacy user key", async () => {
    const a = await passwordLogin(s, "alice", "correct horse");
    expect(a.status).toBe(200);
    expect(a.body.user_id).toBe("@alice:test.local");
    expect(a.body.device_id).toMatch(/^[A-Z]{10}$/);
    expect(a.body.expires_in_ms).toBeUndefined();
    expect((await passwordLogin(s, "@ALICE:test.local", "correct horse")).status).toBe(200);
    const legacy = await s.call("POST", "/_matrix/client/v3/login", { body: { type: "m.login.password", user: "alice", password: "correct horse" } });
    expect(legacy.status).toBe(200);
  });

  test("wrong password, unknown user, other server: 403 M_FORBIDDEN; unknown type 400", async () => {
    for (const [user, password] of [["alice", "wrong"], ["nobody", "x"], ["@alice:elsewhere", "correct horse"]]) {
      const res = await passwordLogin(s, user!, password!);
      expect(res.status).toBe(403);
      expect(res.body.errcode).toBe("M_FORBIDDEN");
    }
    expect((await s.call("POST", "/_matrix/client/v3/login", { body: { type: "m.login.sso" } })).status).toBe(400);
  });

  test("a deactivated account cannot log in, and its tokens stop working at once", async () => {
    await makeUser(s, "gone");
    const session = await passwordLogin(s, "gone", "correct horse");
    await s.services.accounts.repo.deactivateUser("@gone:test.local");
    s.services.accounts.tokens.forgetUser("@gone:test.local");
    const res = await passwordLogin(s, "gone", "correct horse");
    expect(res.status).toBe(403);
    expect(res.body.errcode).toBe("M_USER_DEACTIVATED");
    expect((await s.call("GET", "/_matrix/client/v3/account/whoami", { token: session.body.access_token })).body.errcode).toBe("M_UNKNOWN_TOKEN");
  });

  test("tokens: missing, unknown, query parameter, and after logout", async () => {
    const missing = await s.call("GET", "/_matrix/client/v3/account/whoami");
    expect(missing.status).toBe(401);
    expect(missing.body.errcode).toBe("M_MISSING_TOKEN");
    const unknown = await s.call("GET", "/_matrix/client/v3/account/whoami", { token: "myt_nope" });
    expect(unknown.body).toMatchObject({ errcode: "M_UNKNOWN_TOKEN", soft_logout: false });
    const { body } = await passwordLogin(s, "alice", "correct horse", { device_id: "QUERY" });
    const viaQuery = await s.call("GET", `/_matrix/client/v3/account/whoami?access_token=${body.access_token}`);
    expect(viaQuery.body).toEqual({ user_id: "@alice:test.local", device_id: "QUERY", is_guest: false });
    // Cached now; logout must still revoke it immediately.
    expect((await s.call("POST", "/_matrix/client/v3/logout", { token: body.access_token, body: {} })).status).toBe(200);
    const after = await s.call("GET", "/_matrix/client/v3/account/whoami", { token: body.access_token });
    expect(after.status).toBe(401);
    expect(after.body).toMatchObject({ errcode: "M_UNKNOWN_TOKEN", soft_logout: false });
    expect(await s.services.accounts.repo.getDevice("@alice:test.local", "QUERY")).toBeUndefined();
  });

  test("logging in again with a device_id keeps the device and revokes its earlier token", async () => {
    const first = await passwordLogin(s, "alice", "correct horse", { device_id: "KEEP", initial_device_display_name: "Laptop" });
    await s.call("GET", "/_matrix/client/v3/account/whoami", { token: first.body.access_token });
    const second = await passwordLogin(s, "alice", "correct horse", { device_id: "KEEP" });
    expect(second.body.device_id).toBe("KEEP");
    expect((await s.call("GET", "/_matrix/client/v3/account/whoami", { token: first.body.access_token })).status).toBe(401);
    expect((await s.call("GET", "/_matrix/client/v3/account/whoami", { token: second.body.access_token })).status).toBe(200);
    expect((await s.services.accounts.repo.getDevice("@alice:test.local", "KEEP"))?.displayName).toBe("Laptop");
  });

  test("logout/all ends every session of the user only", async () => {
    await makeUser(s, "bob");
    const one = await passwordLogin(s, "alice", "correct horse");
    const two = await passwordLogin(s, "alice", "correct horse");
    const bob = await passwordLogin(s, "bob", "correct horse");
    for (const t of [one, two, bob]) await s.call("GET", "/_matrix/client/v3/account/whoami", { token: t.body.access_token });
    expect((await s.call("POST", "/_matrix/client/v3/logout/all", { token: one.body.access_token, body: {} })).status).toBe(200);
    expect((await s.call("GET", "/_matrix/client/v3/account/whoami", { token: two.body.access_token })).status).toBe(401);
    expect((await s.call("GET", "/_matrix/client/v3/account/whoami", { token: bob.body.access_token })).status).toBe(200);
    expect(await s.services.accounts.repo.listDevices("@alice:test.local")).toEqual([]);
  });

  test("device last-seen is recorded in memory and written on flush", async () => {
    const { body } = await passwordLogin(s, "bob", "correct horse", { device_id: "SEEN" });
    await s.call("GET", "/_matrix/client/v3/account/whoami", { token: body.access_token, ip: "10.9.8.7" });
    expect((await s.services.accounts.repo.getDevice("@bob:test.local", "SEEN"))?.lastSeenIp).toBeNull();
    await s.services.accounts.lastSeen.flush();
    const device = await s.services.accounts.repo.getDevice("@bob:test.local", "SEEN");
    expect(device?.lastSeenIp).toBe("10.9.8.7");
    expect(device?.lastSeenTs).toBe(s.clock.now);
  });

  test("get_token needs UIA with the password; wrong password is 401 with the flows; the token logs in once", async () => {
    const { body } = await passwordLogin(s, "bob", "correct horse");
    const first = await s.call("POST", "/_matrix/client/v1/login/get_token", { token: body.access_token, body: {} });
    expect(first.status).toBe(401);
    expect(first.body.flows).toEqual([{ stages: ["m.login.password"] }]);
    const auth = { type: "m.login.password", identifier: { type: "m.id.user", user: "bob" }, session: first.body.session };
    const wrong = await s.call("POST", "/_matrix/client/v1/login/get_token", { token: body.access_token, body: { auth: { ...auth, password: "nope" } } });
    expect(wrong.status).toBe(401);
    expect(wrong.body).toMatchObject({ errcode: "M_FORBIDDEN", flows: [{ stages: ["m.login.password"] }], session: first.body.session });
    // Another user's password does not authenticate bob.
    const other = await s.call("POST", "/_matrix/client/v1/login/get_token", { token: body.access_token, body: { auth: { ...auth, identifier: { type: "m.id.user", user: "alice" }, password: "correct horse" } } });
    expect(other.status).toBe(401);
    const ok = await s.call("POST", "/_matrix/client/v1/login/get_token", { token: body.access_token, body: { auth: { ...auth, password: "correct horse" } } });
    expect(ok.status).toBe(200);
    expect(ok.body.expires_in_ms).toBe(300_000);
    const login = await s.call("POST", "/_matrix/client/v3/login", { body: { type: "m.login.token", token: ok.body.login_token } });
    expect(login.status).toBe(200);
    expect(login.body.user_id).toBe("@bob:test.local");
    const reuse = await s.call("POST", "/_matrix/client/v3/login", { body: { type: "m.login.token", token: ok.body.login_token } });
    expect(reuse.status).toBe(403);
  });

  test("get_token is 404 when login_via_existing_session is off, and m.login.token is refused", async () => {
    const off = await accountsTestServer(LENIENT);
    try {
      await makeUser(off, "zed");
      const { body } = await passwordLogin(off, "zed", "correct horse");
      const res = await off.call("POST", "/_matrix/client/v1/login/get_token", { token: body.access_token, body: {} });
      expect(res.status).toBe(404);
      expect(res.body.errcode).toBe("M_UNRECOGNIZED");
      expect((await off.call("POST", "/_matrix/client/v3/login", { body: { type: "m.login.token", token: "x" } })).status).toBe(400);
    } finally {
      await off.close();
    }
  });
});

describe("refresh tokens", () => {
  let s: AccountsTestServer;
  beforeAll(async () => {
    s = await accountsTestServer({ ...LENIENT, REFRESH_TOKEN_LIFETIME: "1h" });
    await makeUser(s, "rita");
  });
  afterAll(() => s.close());
  const whoami = (token: string) => s.call("GET", "/_matrix/client/v3/account/whoami", { token });
  const refresh = (refresh_token: string) => s.call("POST", "/_matrix/client/v3/refresh", { body: { refresh_token } });

  test("access tokens expire with soft_logout; /refresh rotates, the old pair dies once the new is used", async () => {
    const login = await passwordLogin(s, "rita", "correct horse", { refresh_token: true });
    expect(login.body.expires_in_ms).toBe(300_000);
    expect((await whoami(login.body.access_token)).status).toBe(200);
    s.clock.now += 300_001;
    const expired = await whoami(login.body.access_token);
    expect(expired.status).toBe(401);
    expect(expired.body).toMatchObject({ errcode: "M_UNKNOWN_TOKEN", soft_logout: true });

    const first = await refresh(login.body.refresh_token);
    expect(first.status).toBe(200);
    expect(first.body.expires_in_ms).toBe(300_000);
    expect(first.body.refresh_token).not.toBe(login.body.refresh_token);
    // A retry with the old refresh token is allowed until the new pair is used.
    const retry = await refresh(login.body.refresh_token);
    expect(retry.status).toBe(200);
    expect((await whoami(first.body.access_token)).status).toBe(401); // superseded by the retry
    expect((await whoami(retry.body.access_token)).body.device_id).toBe(login.body.device_id);
    const reuse = await refresh(login.body.refresh_token);
    expect(reuse.status).toBe(401);
    expect(reuse.body).toMatchObject({ errcode: "M_UNKNOWN_TOKEN", soft_logout: false });
    expect((await refresh(retry.body.refresh_token)).status).toBe(200);
  });

  test("an expired refresh token is soft-logged-out; refresh tokens die with their device", async () => {
    const login = await passwordLogin(s, "rita", "correct horse", { refresh_token: true });
    s.clock.now += 3600_001;
    expect((await refresh(login.body.refresh_token)).body).toMatchObject({ errcode: "M_UNKNOWN_TOKEN", soft_logout: true });
    const other = await passwordLogin(s, "rita", "correct horse", { refresh_token: true });
    await s.call("POST", "/_matrix/client/v3/logout", { token: other.body.access_token, body: {} });
    expect((await refresh(other.body.refresh_token)).status).toBe(401);
  });
});

describe("rc_login", () => {
  test("per address, and failed attempts per account", async () => {
    const s = await accountsTestServer({
      RC_LOGIN__ADDRESS__BURST_COUNT: "3", RC_LOGIN__ADDRESS__PER_SECOND: "0.001",
      RC_LOGIN__FAILED_ATTEMPTS__BURST_COUNT: "2", RC_LOGIN__FAILED_ATTEMPTS__PER_SECOND: "0.001",
      RC_LOGIN__ACCOUNT__BURST_COUNT: "100", RC_LOGIN__ACCOUNT__PER_SECOND: "1",
    });
    try {
      await makeUser(s, "victim");
      expect((await passwordLogin(s, "victim", "bad", {}, "10.0.0.5")).status).toBe(403);
      expect((await passwordLogin(s, "victim", "bad", {}, "10.0.0.6")).status).toBe(403);
      // Two failures used the account's failed-attempt budget: even the right password waits.
      const locked = await passwordLogin(s, "victim", "correct horse", {}, "10.0.0.7");
      expect(locked.status).toBe(429);
      expect(locked.body.errcode).toBe("M_LIMIT_EXCEEDED");
      expect(locked.body.retry_after_ms).toBeGreaterThan(0);
      await makeUser(s, "other");
      for (let i = 0; i < 2; i++) expect((await passwordLogin(s, "other", "correct horse", {}, "10.0.0.5")).status).toBe(200);
      expect((await passwordLogin(s, "other", "correct horse", {}, "10.0.0.5")).status).toBe(429); // 4th from that address
    } finally {
      await s.close();
    }
  });
});

// Registration through HTTP: UIA flows, tokens, guests, availability, shared secret, user ids.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { sharedSecretMac } from "../../src/auth/shared-secret.ts";
import { accountsTestServer, type AccountsTestServer } from "../helpers/accounts.ts";

const OPEN = { ENABLE_REGISTRATION: "true", RC_REGISTRATION__BURST_COUNT: "1000" };

describe("registration off (the default)", () => {
  let s: AccountsTestServer;
  beforeAll(async () => { s = await accountsTestServer(); });
  afterAll(() => s.close());
  test("POST /register is 403 M_FORBIDDEN, guests too unless allowed", async () => {
    const res = await s.call("POST", "/_matrix/client/v3/register", { body: { username: "a", password: "p", auth: { type: "m.login.dummy" } } });
    expect(res.status).toBe(403);
    expect(res.body.errcode).toBe("M_FORBIDDEN");
    const guest = await s.call("POST", "/_matrix/client/v3/register?kind=guest", { body: {} });
    expect(guest.status).toBe(403);
    expect(guest.body.errcode).toBe("M_GUEST_ACCESS_FORBIDDEN");
    expect((await s.call("GET", "/_matrix/client/v3/register/available?username=a")).status).toBe(403);
  });
});

describe("open registration with m.login.dummy", () => {
  let s: AccountsTestServer;
  beforeAll(async () => { s = await accountsTestServer(OPEN); });
  afterAll(() => s.close());
  const register = (body: Record<string, unknown>) => s.call("POST", "/_matrix/client/v3/register", { body });

  test("first call answers 401 with flows and a session, then dummy completes", async () => {
    const first = await register({ username: "Alice", password: "secret" });
    expect(first.status).toBe(401);
    expect(first.body.flows).toEqual([{ stages: ["m.login.dummy"] }]);
    expect(first.body.params).toEqual({});
    expect(typeof first.body.session).toBe("string");
    expect(first.body.errcode).toBeUndefined();
    const done = await register({ username: "Alice", password: "secret", device_id: "DEV1", initial_device_display_name: "Phone", auth: { type: "m.login.dummy", session: first.body.session } });
    expect(done.status).toBe(200);
    expect(done.body.user_id).toBe("@alice:test.local"); // lowercased
    expect(done.body.device_id).toBe("DEV1");
    expect(done.body.access_token).toMatch(/^myt_/);
    expect(done.body.refresh_token).toBeUndefined();
    const device = await s.services.accounts.repo.getDevice("@alice:test.local", "DEV1");
    expect(device?.displayName).toBe("Phone");
    const whoami = await s.call("GET", "/_matrix/client/v3/account/whoami", { token: done.body.access_token });
    expect(whoami.body).toEqual({ user_id: "@alice:test.local", device_id: "DEV1", is_guest: false });
  });

  test("the user id is taken, case-insensitively; /available agrees", async () => {
    const res = await register({ username: "ALICE", password: "x", auth: { type: "m.login.dummy" } });
    expect(res.status).toBe(400);
    expect(res.body.errcode).toBe("M_USER_IN_USE");
    const available = await s.call("GET", "/_matrix/client/v3/register/available?username=alice");
    expect(available.body.errcode).toBe("M_USER_IN_USE");
    const free = await s.call("GET", "/_matrix/client/v3/register/available?username=bob");
    expect(free).toEqual({ status: 200, body: { available: true } });
  });

  test("invalid and reserved user ids are M_INVALID_USERNAME", async () => {
    for (const username of ["", "al ice", "al:ice", "ål", "12345", "_bridge", "x".repeat(250)]) {
      const res = await register({ username, password: "x", auth: { type: "m.login.dummy" } });
      expect(res.status).toBe(400);
      expect(res.body.errcode).toBe("M_INVALID_USERNAME");
    }
    expect((await register({ username: "a.b-c=d_e/f+g", password: "x", auth: { type: "m.login.dummy" } })).status).toBe(200);
  });

  test("inhibit_login returns no token; refresh_token: true returns one with expires_in_ms", async () => {
    const inhibited = await register({ username: "carol", password: "x", inhibit_login: true, auth: { type: "m.login.dummy" } });
    expect(inhibited.body).toEqual({ user_id: "@carol:test.local", home_server: "test.local" });
    const refreshed = await register({ username: "dave", password: "x", refresh_token: true, auth: { type: "m.login.dummy" } });
    expect(refreshed.body.refresh_token).toMatch(/^myr_/);
    expect(refreshed.body.expires_in_ms).toBe(300_000);
  });

  test("missing password and unknown auth types are refused", async () => {
    expect((await register({ username: "erin", auth: { type: "m.login.dummy" } })).body.errcode).toBe("M_MISSING_PARAM");
    const wrong = await register({ username: "erin", password: "x", auth: { type: "m.login.password" } });
    expect(wrong.status).toBe(401);
    expect(wrong.body.flows).toEqual([{ stages: ["m.login.dummy"] }]);
    expect(wrong.body.errcode).toBe("M_UNRECOGNIZED");
  });

  test("an unknown or expired UIA session is refused", async () => {
    const first = await register({ username: "frank", password: "x" });
    s.clock.now += 49 * 3600_000;
    const late = await register({ username: "frank", password: "x", auth: { type: "m.login.dummy", session: first.body.session } });
    expect(late.status).toBe(400);
    expect(late.body.errcode).toBe("M_UNKNOWN");
    const bogus = await register({ username: "frank", password: "x", auth: { type: "m.login.dummy", session: "nope" } });
    expect(bogus.status).toBe(400);
  });
});

describe("registration tokens", () => {
  let s: AccountsTestServer;
  beforeAll(async () => {
    s = await accountsTestServer({ ...OPEN, REGISTRATION_REQUIRES_TOKEN: "true", RC_REGISTRATION_TOKEN_VALIDITY__BURST_COUNT: "1000" });
    await s.services.accounts.registrationTokens.create({ token: "once", usesAllowed: 1, expiryTime: null });
    await s.services.accounts.registrationTokens.create({ token: "soon", usesAllowed: null, expiryTime: s.clock.now + 60_000 });
  });
  afterAll(() => s.close());
  const register = (username: string, token: string, session?: string) =>
    s.call("POST", "/_matrix/client/v3/register", { body: { username, password: "x", auth: { type: "m.login.registration_token", token, session } } });
  const validity = (token: string) => s.call("GET", `/_matrix/client/v1/register/m.login.registration_token/validity?token=${token}`);

  test("flows ask for a token; dummy is not enough", async () => {
    const first = await s.call("POST", "/_matrix/client/v3/register", { body: { username: "u0", password: "x", auth: { type: "m.login.dummy" } } });
    expect(first.status).toBe(401);
    expect(first.body.flows).toEqual([{ stages: ["m.login.registration_token"] }]);
  });

  test("a token with one use works once; reuse is 401 with the flows again", async () => {
    expect(await validity("once")).toEqual({ status: 200, body: { valid: true } });
    expect((await register("u1", "once")).status).toBe(200);
    expect((await validity("once")).body.valid).toBe(false);
    const again = await register("u2", "once");
    expect(again.status).toBe(401);
    expect(again.body.errcode).toBe("M_UNAUTHORIZED");
    expect(again.body.flows).toEqual([{ stages: ["m.login.registration_token"] }]);
    const row = await s.services.accounts.registrationTokens.get("once");
    expect({ pending: row?.pending, completed: row?.completed }).toEqual({ pending: 0, completed: 1 });
  });

  test("an expired token is refused; an unknown one is invalid", async () => {
    expect((await register("u3", "soon")).status).toBe(200);
    s.clock.now += 120_000;
    expect((await register("u4", "soon")).status).toBe(401);
    expect((await validity("soon")).body.valid).toBe(false);
    expect((await validity("never-made")).body.valid).toBe(false);
  });

  test("a use reserved by a session that expires is given back", async () => {
    await s.services.accounts.registrationTokens.create({ token: "two", usesAllowed: 1, expiryTime: null });
    // The name is taken, so the stage passes (reserving the use) and the request fails after it.
    const first = await s.call("POST", "/_matrix/client/v3/register", { body: { username: "u5", password: "x" } });
    await s.services.accounts.uia.require({ auth: { type: "m.login.registration_token", token: "two", session: first.body.session }, operation: "register", userId: null, flows: [{ stages: ["m.login.registration_token", "m.login.dummy"] }] }).catch(() => {});
    expect((await validity("two")).body.valid).toBe(false);
    s.clock.now += 49 * 3600_000;
    await s.call("POST", "/_matrix/client/v3/register", { body: { username: "u6", password: "x" } }); // sweeps
    expect((await validity("two")).body.valid).toBe(true);
  });
});

describe("guests", () => {
  let s: AccountsTestServer;
  beforeAll(async () => { s = await accountsTestServer({ ALLOW_GUEST_ACCESS: "true" }); });
  afterAll(() => s.close());
  test("kind=guest gets a numeric id, whoami says is_guest, other endpoints refuse guests", async () => {
    const res = await s.call("POST", "/_matrix/client/v3/register?kind=guest", { body: {} });
    expect(res.status).toBe(200);
    expect(res.body.user_id).toMatch(/^@\d+:test\.local$/);
    const whoami = await s.call("GET", "/_matrix/client/v3/account/whoami", { token: res.body.access_token });
    expect(whoami.body.is_guest).toBe(true);
    const all = await s.call("POST", "/_matrix/client/v3/logout/all", { token: res.body.access_token, body: {} });
    expect(all.status).toBe(403);
    expect(all.body.errcode).toBe("M_GUEST_ACCESS_FORBIDDEN");
  });
  test("kind=user is still closed when only guests are allowed", async () => {
    expect((await s.call("POST", "/_matrix/client/v3/register", { body: { username: "x", password: "y" } })).status).toBe(403);
  });
  test("an unknown kind is 400", async () => {
    expect((await s.call("POST", "/_matrix/client/v3/register?kind=robot", { body: {} })).status).toBe(400);
  });
});

describe("guest upgrade", () => {
  let s: AccountsTestServer;
  beforeAll(async () => { s = await accountsTestServer({ ALLOW_GUEST_ACCESS: "true", ENABLE_REGISTRATION: "true" }); });
  afterAll(() => s.close());
  const register = (body: Record<string, unknown>) => s.call("POST", "/_matrix/client/v3/register", { body });
  const withDummy = async (body: Record<string, unknown>) => {
    const challenge = await register(body);
    if (challenge.status !== 401) return challenge;
    return register({ ...body, auth: { type: "m.login.dummy", session: challenge.body.session } });
  };

  test("a guest becomes a full account with the same user id and a password", async () => {
    const guest = await s.call("POST", "/_matrix/client/v3/register?kind=guest", { body: {} });
    const localpart = guest.body.user_id.slice(1).split(":")[0];
    const upgraded = await withDummy({ guest_access_token: guest.body.access_token, username: localpart, password: "correct horse" });
    expect(upgraded.status).toBe(200);
    expect(upgraded.body.user_id).toBe(guest.body.user_id);
    for (const token of [upgraded.body.access_token, guest.body.access_token]) {
      const whoami = await s.call("GET", "/_matrix/client/v3/account/whoami", { token });
      expect(whoami.body).toMatchObject({ user_id: guest.body.user_id, is_guest: false });
    }
    const login = await s.call("POST", "/_matrix/client/v3/login", {
      body: { type: "m.login.password", identifier: { type: "m.id.user", user: localpart }, password: "correct horse" },
    });
    expect(login.status).toBe(200);
    // a full account cannot "upgrade" again
    expect((await withDummy({ guest_access_token: upgraded.body.access_token, username: localpart, password: "x" })).status).toBe(403);
  });

  test("the username must be the guest's own, and the token a guest's", async () => {
    const guest = await s.call("POST", "/_matrix/client/v3/register?kind=guest", { body: {} });
    const wrong = await register({ guest_access_token: guest.body.access_token, username: "someoneelse", password: "pw" });
    expect(wrong.status).toBe(400);
    expect(wrong.body.errcode).toBe("M_INVALID_PARAM");
    const bogus = await register({ guest_access_token: "not-a-token", username: "x", password: "pw" });
    expect(bogus.status).toBe(403);
  });
});

describe("shared-secret registration", () => {
  let s: AccountsTestServer;
  beforeAll(async () => { s = await accountsTestServer({ REGISTRATION_SHARED_SECRET: "s3cret" }); });
  afterAll(() => s.close());
  const path = "/_synapse/admin/v1/register";

  test("nonce + HMAC registers an admin with a device and token", async () => {
    const { body: { nonce } } = await s.call("GET", path);
    const request = { nonce, username: "root", password: "pw", admin: true };
    const res = await s.call("POST", path, { body: { ...request, mac: sharedSecretMac("s3cret", request) } });
    expect(res.status).toBe(200);
    expect(res.body.user_id).toBe("@root:test.local");
    expect((await s.services.accounts.repo.getUser("@root:test.local"))?.isAdmin).toBe(true);
    expect((await s.call("GET", "/_matrix/client/v3/account/whoami", { token: res.body.access_token })).body.user_id).toBe("@root:test.local");
    // The nonce is single use.
    expect((await s.call("POST", path, { body: { ...request, mac: sharedSecretMac("s3cret", request) } })).status).toBe(400);
  });

  test("a wrong MAC is 403", async () => {
    const { body: { nonce } } = await s.call("GET", path);
    const request = { nonce, username: "mallory", password: "pw", admin: false };
    const res = await s.call("POST", path, { body: { ...request, mac: sharedSecretMac("wrong", request) } });
    expect(res.status).toBe(403);
    expect(await s.services.accounts.repo.getUser("@mallory:test.local")).toBeUndefined();
  });

  test("without a configured secret the API is off", async () => {
    const off = await accountsTestServer();
    try {
      expect((await off.call("GET", path)).status).toBe(400);
    } finally {
      await off.close();
    }
  });
});

describe("rc_registration", () => {
  test("counts created accounts per address, not UIA round trips; loopback only exempt when configured", async () => {
    const s = await accountsTestServer({ ENABLE_REGISTRATION: "true", RC_REGISTRATION__BURST_COUNT: "2", RC_REGISTRATION__PER_SECOND: "0.01" });
    const exempt = await accountsTestServer({ ENABLE_REGISTRATION: "true", RC_REGISTRATION__BURST_COUNT: "1", RC_REGISTRATION__PER_SECOND: "0.01", RC_EXEMPT_LOOPBACK: "true" });
    let n = 0;
    /** A whole sign-up: the UIA challenge, then the dummy stage. Returns the final status. */
    const signUp = async (server: AccountsTestServer, ip: string) => {
      const body = { username: `rate${n++}`, password: "correct horse" };
      const challenge = await server.call("POST", "/_matrix/client/v3/register", { body, ip });
      if (challenge.status !== 401) return challenge;
      return server.call("POST", "/_matrix/client/v3/register", { body: { ...body, auth: { type: "m.login.dummy", session: challenge.body.session } }, ip });
    };
    try {
      for (let i = 0; i < 5; i++) expect((await s.call("POST", "/_matrix/client/v3/register", { body: { password: "x" }, ip: "10.1.1.1" })).status).toBe(401);
      expect((await signUp(s, "10.1.1.1")).status).toBe(200);
      expect((await signUp(s, "10.1.1.1")).status).toBe(200);
      const limited = await signUp(s, "10.1.1.1");
      expect(limited.status).toBe(429);
      expect(limited.body.errcode).toBe("M_LIMIT_EXCEEDED");
      expect(limited.body.retry_after_ms).toBeGreaterThan(0);
      expect((await signUp(s, "10.1.1.2")).status).toBe(200); // another address
      for (let i = 0; i < 3; i++) expect((await signUp(s, "127.0.0.1")).status).toBe(i < 2 ? 200 : 429);
      for (let i = 0; i < 3; i++) expect((await signUp(exempt, "127.0.0.1")).status).toBe(200);
      expect((await signUp(exempt, "10.1.1.1")).status).toBe(200);
      expect((await signUp(exempt, "10.1.1.1")).status).toBe(429);
    } finally {
      await s.close();
      await exempt.close();
    }
  });
});

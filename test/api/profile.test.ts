// Profiles through HTTP: GET/PUT/DELETE /profile/{userId}[/{keyName}].
// https://spec.matrix.org/v1.19/client-server-api/#profiles
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { sharedSecretMac } from "../../src/auth/shared-secret.ts";
import { userDataTestServer, type Session, type UserDataTestServer } from "../helpers/user-data.ts";

let s: UserDataTestServer;
let alice: Session;
let bob: Session;
const profile = (userId: string, key?: string) => `/_matrix/client/v3/profile/${encodeURIComponent(userId)}${key ? `/${key}` : ""}`;

beforeAll(async () => {
  s = await userDataTestServer({ ALLOW_GUEST_ACCESS: "true" });
  alice = await s.register("alice");
  bob = await s.register("bob");
});
afterAll(() => s.close());

describe("displayname and avatar_url", () => {
  test("set, read back whole and by key, through r0 too", async () => {
    expect((await s.call("PUT", profile(alice.userId, "displayname"), { token: alice.token, body: { displayname: "Alice" } })).status).toBe(200);
    const avatar = await s.call("PUT", `/_matrix/client/r0/profile/${alice.userId}/avatar_url`, { token: alice.token, body: { avatar_url: "mxc://test.local/abc" } });
    expect(avatar).toEqual({ status: 200, body: {} });
    expect((await s.call("GET", profile(alice.userId))).body).toEqual({ displayname: "Alice", avatar_url: "mxc://test.local/abc" });
    expect(await s.call("GET", profile(alice.userId, "displayname"))).toEqual({ status: 200, body: { displayname: "Alice" } });
  });

  test("changes are handed to the member-event hook, other fields are not", async () => {
    const before = s.hooked.memberProfiles.length;
    await s.call("PUT", profile(bob.userId, "displayname"), { token: bob.token, body: { displayname: "Bob" } });
    await s.call("PUT", profile(bob.userId, "org.example.job"), { token: bob.token, body: { "org.example.job": "builder" } });
    expect(s.hooked.memberProfiles.slice(before)).toEqual([[bob.userId, { displayname: "Bob" }]]);
  });

  test("an empty display name clears it", async () => {
    await s.call("PUT", profile(bob.userId, "displayname"), { token: bob.token, body: { displayname: "" } });
    expect((await s.call("GET", profile(bob.userId, "displayname"))).status).toBe(404);
  });

  test("wrong types and non-mxc avatars are refused", async () => {
    expect((await s.call("PUT", profile(alice.userId, "displayname"), { token: alice.token, body: { displayname: 5 } })).body.errcode).toBe("M_BAD_JSON");
    const avatar = await s.call("PUT", profile(alice.userId, "avatar_url"), { token: alice.token, body: { avatar_url: "https://x/y.png" } });
    expect(avatar.status).toBe(400);
    expect((await s.call("PUT", profile(alice.userId, "m.tz"), { token: alice.token, body: { "m.tz": 1 } })).status).toBe(400);
  });

  test("an overlong display name is refused", async () => {
    const res = await s.call("PUT", profile(alice.userId, "displayname"), { token: alice.token, body: { displayname: "x".repeat(257) } });
    expect(res.status).toBe(400);
    expect(res.body.errcode).toBe("M_TOO_LARGE");
  });
});

describe("custom fields", () => {
  test("any JSON value, read back, deleted", async () => {
    const value = { title: "Engineer", since: 2020, tags: ["a", null] };
    expect((await s.call("PUT", profile(alice.userId, "org.example.job"), { token: alice.token, body: { "org.example.job": value } })).status).toBe(200);
    expect((await s.call("PUT", profile(alice.userId, "m.tz"), { token: alice.token, body: { "m.tz": "Europe/London" } })).status).toBe(200);
    expect((await s.call("GET", profile(alice.userId, "org.example.job"))).body).toEqual({ "org.example.job": value });
    expect((await s.call("GET", profile(alice.userId))).body["m.tz"]).toBe("Europe/London");
    expect(await s.call("DELETE", profile(alice.userId, "org.example.job"), { token: alice.token })).toEqual({ status: 200, body: {} });
    expect((await s.call("GET", profile(alice.userId, "org.example.job"))).body.errcode).toBe("M_NOT_FOUND");
    // Deleting what is not there succeeds.
    expect((await s.call("DELETE", profile(alice.userId, "org.example.job"), { token: alice.token })).status).toBe(200);
  });

  test("the body must carry the key", async () => {
    const res = await s.call("PUT", profile(alice.userId, "org.example.job"), { token: alice.token, body: { other: 1 } });
    expect(res.status).toBe(400);
    expect(res.body.errcode).toBe("M_MISSING_PARAM");
  });

  test("key names outside the grammar are refused", async () => {
    for (const key of ["Org.example", "nodots", "org..x", "org.example-x"]) {
      const res = await s.call("PUT", profile(alice.userId, key), { token: alice.token, body: { [key]: 1 } });
      expect([res.status, res.body.errcode]).toEqual([400, "M_INVALID_PARAM"]);
    }
  });

  test("a key over 255 bytes: 400 M_KEY_TOO_LARGE", async () => {
    const key = `org.${"a".repeat(252)}`;
    const res = await s.call("PUT", profile(alice.userId, key), { token: alice.token, body: { [key]: 1 } });
    expect([res.status, res.body.errcode]).toEqual([400, "M_KEY_TOO_LARGE"]);
  });

  test("a profile over 64 KiB: 400 M_PROFILE_TOO_LARGE, and nothing is stored", async () => {
    const before = (await s.call("GET", profile(bob.userId))).body;
    const big = "x".repeat(40_000);
    expect((await s.call("PUT", profile(bob.userId, "org.example.one"), { token: bob.token, body: { "org.example.one": big } })).status).toBe(200);
    const res = await s.call("PUT", profile(bob.userId, "org.example.two"), { token: bob.token, body: { "org.example.two": big } });
    expect([res.status, res.body.errcode]).toEqual([400, "M_PROFILE_TOO_LARGE"]);
    expect((await s.call("GET", profile(bob.userId, "org.example.two"))).status).toBe(404);
    // Replacing a field counts its new size, not both.
    expect((await s.call("PUT", profile(bob.userId, "org.example.one"), { token: bob.token, body: { "org.example.one": big } })).status).toBe(200);
    await s.call("DELETE", profile(bob.userId, "org.example.one"), { token: bob.token });
    expect((await s.call("GET", profile(bob.userId))).body).toEqual(before);
  });

  test("concurrent writes of different keys all land", async () => {
    const keys = Array.from({ length: 8 }, (_, i) => `org.example.k${i}`);
    await Promise.all(keys.map((key, i) => s.call("PUT", profile(bob.userId, key), { token: bob.token, body: { [key]: i } })));
    const fields = (await s.call("GET", profile(bob.userId))).body;
    expect(keys.map((key) => fields[key])).toEqual(keys.map((_, i) => i));
  });
});

describe("permissions and lookups", () => {
  test("PUT and DELETE on someone else's profile: 403", async () => {
    const put = await s.call("PUT", profile(alice.userId, "displayname"), { token: bob.token, body: { displayname: "Mallory" } });
    expect([put.status, put.body.errcode]).toEqual([403, "M_FORBIDDEN"]);
    const del = await s.call("DELETE", profile(alice.userId, "displayname"), { token: bob.token });
    expect(del.status).toBe(403);
    expect((await s.call("GET", profile(alice.userId, "displayname"))).body.displayname).toBe("Alice");
  });

  test("PUT without a token: 401", async () => {
    const res = await s.call("PUT", profile(alice.userId, "displayname"), { body: { displayname: "x" } });
    expect([res.status, res.body.errcode]).toEqual([401, "M_MISSING_TOKEN"]);
  });

  test("unknown users and users of other servers: 404", async () => {
    expect((await s.call("GET", profile("@nobody:test.local"))).body.errcode).toBe("M_NOT_FOUND");
    expect((await s.call("GET", profile("@alice:elsewhere.example"))).status).toBe(404);
    expect((await s.call("GET", profile("not-a-user-id"))).status).toBe(404);
  });

  test("a user with no profile fields has an empty profile", async () => {
    const carol = await s.register("carol");
    expect(await s.call("GET", profile(carol.userId))).toEqual({ status: 200, body: {} });
  });

  test("guests may set their display name and nothing else", async () => {
    const guest = await s.registerGuest();
    expect((await s.call("PUT", profile(guest.userId, "displayname"), { token: guest.token, body: { displayname: "Visitor" } })).status).toBe(200);
    const res = await s.call("PUT", profile(guest.userId, "avatar_url"), { token: guest.token, body: { avatar_url: "mxc://a/b" } });
    expect([res.status, res.body.errcode]).toEqual([403, "M_GUEST_ACCESS_FORBIDDEN"]);
  });
});

test("shared-secret registration sets the display name it is given (Synapse's register API)", async () => {
  const server = await userDataTestServer({ REGISTRATION_SHARED_SECRET: "s3cret" });
  try {
    const { body: { nonce } } = await server.call("GET", "/_synapse/admin/v1/register");
    const request = { nonce, username: "named", password: "pw", admin: false, displayname: "Named Person" };
    const res = await server.call("POST", "/_synapse/admin/v1/register", { body: { ...request, mac: sharedSecretMac("s3cret", request) } });
    expect(res.status).toBe(200);
    expect((await server.call("GET", profile(res.body.user_id, "displayname"))).body).toEqual({ displayname: "Named Person" });
  } finally {
    await server.close();
  }
});

// POST /user/{userId}/openid/request_token and the federation userinfo that checks its tokens.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { createApp } from "../../src/app.ts";
import { roomsTestServer, type RoomsTestServer, type Session } from "../helpers/rooms.ts";
import { jsonCaller } from "../helpers/user-data.ts";

let server: RoomsTestServer;
let alice: Session;
let federation: ReturnType<typeof jsonCaller>;
const request = (user: Session, userId = user.userId) =>
  server.call("POST", `/_matrix/client/v3/user/${encodeURIComponent(userId)}/openid/request_token`, { token: user.token, body: {} });
const userInfo = (token?: string) => federation("GET", `/_matrix/federation/v1/openid/userinfo${token === undefined ? "" : `?access_token=${encodeURIComponent(token)}`}`);

beforeAll(async () => {
  server = await roomsTestServer();
  alice = await server.register("alice");
  // The federation listener shares the services (and so the tokens) with the client one.
  federation = jsonCaller(createApp(server.services, ["federation"]));
});
afterAll(() => server.close());

describe("OpenID", () => {
  test("a token for the caller, exchanged over federation for their user id", async () => {
    const res = await request(alice);
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ token_type: "Bearer", matrix_server_name: "test.local", expires_in: 3600 });
    expect(await userInfo(res.body.access_token)).toEqual({ status: 200, body: { sub: alice.userId } });
  });

  test("403 for another user's id", async () => {
    const res = await request(alice, "@bob:test.local");
    expect(res.status).toBe(403);
    expect(res.body.errcode).toBe("M_FORBIDDEN");
  });

  test("401 without an access token", async () => {
    const res = await server.call("POST", `/_matrix/client/v3/user/${encodeURIComponent(alice.userId)}/openid/request_token`, { body: {} });
    expect(res.status).toBe(401);
  });

  test("the OpenID token is no access token for the client API", async () => {
    const { access_token } = (await request(alice)).body;
    expect((await server.call("GET", "/_matrix/client/v3/account/whoami", { token: access_token })).body.errcode).toBe("M_UNKNOWN_TOKEN");
  });

  test("userinfo: 401 M_UNKNOWN_TOKEN for an unknown token, M_MISSING_TOKEN without one", async () => {
    const unknown = await userInfo("nope");
    expect(unknown.status).toBe(401);
    expect(unknown.body.errcode).toBe("M_UNKNOWN_TOKEN");
    const missing = await userInfo();
    expect(missing.status).toBe(401);
    expect(missing.body.errcode).toBe("M_MISSING_TOKEN");
  });

  test("userinfo: an hour later the token has expired", async () => {
    const { access_token } = (await request(alice)).body;
    server.clock.offset += 3_600_001;
    try {
      const res = await userInfo(access_token);
      expect(res.status).toBe(401);
      expect(res.body.errcode).toBe("M_UNKNOWN_TOKEN");
    } finally {
      server.clock.offset -= 3_600_001;
    }
  });
});

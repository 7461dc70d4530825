// GET /voip/turnServer: coturn's time-limited credentials, fixed credentials, none, and guests.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { createHmac } from "node:crypto";
import { roomsTestServer, type RoomsTestServer } from "../helpers/rooms.ts";

const PATH = "/_matrix/client/v3/voip/turnServer";
const URIS = ["turn:turn.test.local:3478?transport=udp", "turns:turn.test.local:443?transport=tcp"];
let secret: RoomsTestServer;
let fixed: RoomsTestServer;

beforeAll(async () => {
  secret = await roomsTestServer({ TURN_URIS: JSON.stringify(URIS), TURN_SHARED_SECRET: "s3cret", TURN_USER_LIFETIME: "2h", TURN_ALLOW_GUESTS: "false", ALLOW_GUEST_ACCESS: "true" });
  fixed = await roomsTestServer({ TURN_URIS: JSON.stringify(URIS.slice(0, 1)), TURN_USERNAME: "turnuser", TURN_PASSWORD: "turnpass", ALLOW_GUEST_ACCESS: "true" });
});
afterAll(async () => {
  await secret.close();
  await fixed.close();
});

describe("GET /voip/turnServer", () => {
  test("with a shared secret: username <expiry>:<user id>, password HMAC-SHA1 of it", async () => {
    const alice = await secret.register("alice");
    const before = Math.floor(Date.now() / 1000);
    const body = await secret.ok("GET", PATH, { token: alice.token });
    expect(body.uris).toEqual(URIS);
    expect(body.ttl).toBe(7200);
    const [expiry, userId] = [body.username.slice(0, body.username.indexOf(":")), body.username.slice(body.username.indexOf(":") + 1)];
    expect(userId).toBe(alice.userId);
    expect(Number(expiry)).toBeGreaterThanOrEqual(before + 7200);
    expect(Number(expiry)).toBeLessThanOrEqual(Math.ceil(Date.now() / 1000) + 7200);
    expect(body.password).toBe(createHmac("sha1", "s3cret").update(body.username).digest("base64"));
  });

  test("guests are refused with 403 when turn_allow_guests is false", async () => {
    const guest = await secret.registerGuest();
    const res = await secret.call("GET", PATH, { token: guest.token });
    expect(res.status).toBe(403);
    expect(res.body.errcode).toBe("M_FORBIDDEN");
  });

  test("fixed credentials, given to guests by default; r0 path too", async () => {
    const guest = await fixed.registerGuest();
    const body = await fixed.ok("GET", PATH.replace("v3", "r0"), { token: guest.token });
    expect(body).toEqual({ username: "turnuser", password: "turnpass", uris: URIS.slice(0, 1), ttl: 3600 });
  });

  test("without TURN configured: {} as Synapse answers", async () => {
    const none = await roomsTestServer();
    try {
      const bob = await none.register("bob");
      expect(await none.ok("GET", PATH, { token: bob.token })).toEqual({});
    } finally {
      await none.close();
    }
  });

  test("401 without an access token", async () => {
    const res = await fixed.call("GET", PATH);
    expect(res.status).toBe(401);
    expect(res.body.errcode).toBe("M_MISSING_TOKEN");
  });
});

// GET /capabilities
// https://spec.matrix.org/v1.19/client-server-api/#capabilities-negotiation
import { afterAll, beforeAll, expect, test } from "bun:test";
import { capabilitiesEndpoints } from "../../src/api/client/capabilities.ts";
import { sharedEngine } from "../helpers/engine.ts";
import { userDataTestServer, type Session, type UserDataTestServer } from "../helpers/user-data.ts";

let s: UserDataTestServer;
let alice: Session;

beforeAll(async () => {
  s = await userDataTestServer();
  alice = await s.register("alice");
});
afterAll(() => s.close());

test("answers the spec's capabilities, room versions from the engine's table", async () => {
  const res = await s.call("GET", "/_matrix/client/v3/capabilities", { token: alice.token });
  expect(res.status).toBe(200);
  const c = res.body.capabilities;
  expect(c["m.change_password"]).toEqual({ enabled: true });
  expect(c["m.set_displayname"]).toEqual({ enabled: true });
  expect(c["m.set_avatar_url"]).toEqual({ enabled: true });
  expect(c["m.3pid_changes"]).toEqual({ enabled: false });
  expect(c["m.get_login_token"]).toEqual({ enabled: false });
  expect(c["m.profile_fields"]).toEqual({ enabled: true });
  expect(c["m.room_versions"].default).toBe("11");
  const available = c["m.room_versions"].available;
  expect(Object.keys(available)).toContain("11");
  expect(available["11"]).toBe("stable");
  expect(Object.values(available).every((v) => v === "stable" || v === "unstable")).toBe(true);
  expect(Object.keys(available).sort()).toEqual([...(await sharedEngine()).roomVersions.keys()].sort());
});

test("follows default_room_version and login_via_existing_session", async () => {
  const other = await userDataTestServer({ DEFAULT_ROOM_VERSION: "10", LOGIN_VIA_EXISTING_SESSION: '{"enabled": true}' });
  try {
    const bob = await other.register("bob");
    const c = (await other.call("GET", "/_matrix/client/r0/capabilities", { token: bob.token })).body.capabilities;
    expect(c["m.room_versions"].default).toBe("10");
    expect(c["m.get_login_token"]).toEqual({ enabled: true });
  } finally {
    await other.close();
  }
});

test("needs an access token", async () => {
  expect((await s.call("GET", "/_matrix/client/v3/capabilities")).body.errcode).toBe("M_MISSING_TOKEN");
});

test("an unsupported default_room_version stops the server from starting", () => {
  const roomVersions = new Map([["11", { stability: "stable" as const }]]);
  expect(() => capabilitiesEndpoints({ roomVersions, defaultRoomVersion: "99", loginTokens: false })).toThrow(/default_room_version: "99"/);
});

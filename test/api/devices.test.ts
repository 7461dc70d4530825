// Device management through HTTP: list, get, rename, delete (UIA), bulk delete.
// https://spec.matrix.org/v1.19/client-server-api/#device-management
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { passwordAuth, userDataTestServer, type Session, type UserDataTestServer } from "../helpers/user-data.ts";

let s: UserDataTestServer;
let alice: Session;
let bob: Session;
const PASSWORD = "correct horse";

async function loginAlice(deviceName?: string): Promise<Session> {
  const res = await s.login("alice", PASSWORD, deviceName ? { initial_device_display_name: deviceName } : {});
  if (res.status !== 200) throw new Error(JSON.stringify(res.body));
  return { userId: res.body.user_id, deviceId: res.body.device_id, token: res.body.access_token };
}
const whoami = (token: string) => s.call("GET", "/_matrix/client/v3/account/whoami", { token });

beforeAll(async () => {
  s = await userDataTestServer({ ALLOW_GUEST_ACCESS: "true" });
  alice = await s.register("alice", PASSWORD);
  bob = await s.register("bob", PASSWORD);
});
afterAll(() => s.close());

describe("list, get, rename", () => {
  test("lists only the caller's devices, with last-seen data once flushed", async () => {
    const phone = await loginAlice("phone");
    await whoami(phone.token);
    await s.accounts.lastSeen.flush();
    const res = await s.call("GET", "/_matrix/client/v3/devices", { token: alice.token });
    expect(res.status).toBe(200);
    const ids = res.body.devices.map((d: { device_id: string }) => d.device_id);
    expect(ids.sort()).toEqual([alice.deviceId, phone.deviceId].sort());
    expect(ids).not.toContain(bob.deviceId);
    const entry = res.body.devices.find((d: { device_id: string }) => d.device_id === phone.deviceId);
    expect(entry.display_name).toBe("phone");
    expect(entry.last_seen_ip).toBe("127.0.0.1");
    expect(typeof entry.last_seen_ts).toBe("number");
  });

  test("get one; unknown or someone else's device: 404", async () => {
    expect((await s.call("GET", `/_matrix/client/v3/devices/${alice.deviceId}`, { token: alice.token })).body.device_id).toBe(alice.deviceId);
    for (const id of ["NOSUCHDEVICE", bob.deviceId]) {
      const res = await s.call("GET", `/_matrix/client/v3/devices/${id}`, { token: alice.token });
      expect([res.status, res.body.errcode]).toEqual([404, "M_NOT_FOUND"]);
    }
  });

  test("rename; display_name absent leaves it; unknown device: 404", async () => {
    const path = `/_matrix/client/r0/devices/${alice.deviceId}`;
    expect(await s.call("PUT", path, { token: alice.token, body: { display_name: "laptop" } })).toEqual({ status: 200, body: {} });
    expect((await s.call("PUT", path, { token: alice.token, body: {} })).status).toBe(200);
    expect((await s.call("GET", path, { token: alice.token })).body.display_name).toBe("laptop");
    expect((await s.call("PUT", `/_matrix/client/v3/devices/${bob.deviceId}`, { token: alice.token, body: { display_name: "x" } })).status).toBe(404);
    expect((await s.call("PUT", path, { token: alice.token, body: { display_name: "x".repeat(101) } })).status).toBe(400);
  });
});

describe("delete", () => {
  test("DELETE /devices/{id} asks for the password, then deletes the device and its token at once", async () => {
    const tablet = await loginAlice("tablet");
    expect((await whoami(tablet.token)).status).toBe(200); // cached in the token cache now
    const path = `/_matrix/client/v3/devices/${tablet.deviceId}`;
    const first = await s.call("DELETE", path, { token: alice.token });
    expect(first.status).toBe(401);
    expect(first.body.flows).toEqual([{ stages: ["m.login.password"] }]);
    expect(typeof first.body.session).toBe("string");

    const wrong = await s.call("DELETE", path, { token: alice.token, body: { auth: passwordAuth(alice.userId, "wrong", first.body.session) } });
    expect([wrong.status, wrong.body.errcode]).toEqual([401, "M_FORBIDDEN"]);
    expect(wrong.body.flows).toBeDefined();
    expect((await whoami(tablet.token)).status).toBe(200);

    const ok = await s.call("DELETE", path, { token: alice.token, body: { auth: passwordAuth(alice.userId, PASSWORD, first.body.session) } });
    expect(ok).toEqual({ status: 200, body: {} });
    const after = await whoami(tablet.token);
    expect([after.status, after.body.errcode]).toEqual([401, "M_UNKNOWN_TOKEN"]);
    expect((await s.call("GET", path, { token: alice.token })).status).toBe(404);
    expect(s.hooked.devicesDeleted.at(-1)).toEqual([alice.userId, [tablet.deviceId]]);
  });

  test("another user's password does not authorise deleting my devices", async () => {
    const res = await s.call("DELETE", `/_matrix/client/v3/devices/${alice.deviceId}`, { token: alice.token, body: { auth: passwordAuth(bob.userId, PASSWORD) } });
    expect(res.status).toBe(401);
    expect((await whoami(alice.token)).status).toBe(200);
  });

  test("POST /delete_devices deletes several, ignores unknown and other users' ids", async () => {
    const one = await loginAlice();
    const two = await loginAlice();
    const devices = [one.deviceId, two.deviceId, "UNKNOWN", bob.deviceId];
    const first = await s.call("POST", "/_matrix/client/v3/delete_devices", { token: alice.token, body: { devices } });
    expect(first.status).toBe(401);
    const ok = await s.call("POST", "/_matrix/client/v3/delete_devices", { token: alice.token, body: { devices, auth: passwordAuth(alice.userId, PASSWORD, first.body.session) } });
    expect(ok.status).toBe(200);
    for (const session of [one, two]) expect((await whoami(session.token)).body.errcode).toBe("M_UNKNOWN_TOKEN");
    expect((await whoami(alice.token)).status).toBe(200);
    expect((await whoami(bob.token)).status).toBe(200);
  });

  test("POST /delete_devices without devices: 400", async () => {
    expect((await s.call("POST", "/_matrix/client/v3/delete_devices", { token: alice.token, body: {} })).body.errcode).toBe("M_BAD_JSON");
  });

  test("guests may list devices but not delete them", async () => {
    const guest = await s.registerGuest();
    expect((await s.call("GET", "/_matrix/client/v3/devices", { token: guest.token })).body.devices).toHaveLength(1);
    const res = await s.call("POST", "/_matrix/client/v3/delete_devices", { token: guest.token, body: { devices: [guest.deviceId] } });
    expect([res.status, res.body.errcode]).toEqual([403, "M_GUEST_ACCESS_FORBIDDEN"]);
  });
});

// Synapse's user admin API through HTTP: the admin check, accounts, devices, sessions, media.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { deviceSigner } from "../helpers/device-keys.ts";
import { roomsTestServer, type RoomsTestServer, type Session } from "../helpers/rooms.ts";

let s: RoomsTestServer;
let admin: Session;
let alice: Session;
const A = "/_synapse/admin";
const v3 = "/_matrix/client/v3";
const enc = encodeURIComponent;

beforeAll(async () => {
  s = await roomsTestServer({ ALLOW_GUEST_ACCESS: "true" });
  admin = await s.register("admin");
  await s.accounts.repo.setAdmin(admin.userId, true);
  alice = await s.register("alice");
});
afterAll(() => s.close());

const get = (path: string, token = admin.token) => s.call("GET", path, { token });

describe("admin auth", () => {
  test("no token is 401, a non-admin is 403 with Synapse's message, an admin passes", async () => {
    expect((await s.call("GET", `${A}/v1/server_version`)).status).toBe(401);
    const refused = await get(`${A}/v1/server_version`, alice.token);
    expect(refused).toEqual({ status: 403, body: { errcode: "M_FORBIDDEN", error: "You are not a server admin" } });
    const ok = await get(`${A}/v1/server_version`);
    expect(ok.status).toBe(200);
    expect(ok.body.server_version).toBe(s.services.version);
  });

  test("every admin route refuses a non-admin", async () => {
    for (const path of [`${A}/v2/users`, `${A}/v2/users/${enc(alice.userId)}`, `${A}/v1/rooms`, `${A}/v1/event_reports`, `${A}/v1/registration_tokens`]) {
      expect((await get(path, alice.token)).status).toBe(403);
    }
    const put = await s.call("PUT", `${A}/v1/users/${enc(alice.userId)}/admin`, { token: alice.token, body: { admin: true } });
    expect(put.status).toBe(403);
    expect((await get(`${A}/v1/users/${enc(alice.userId)}/admin`)).body).toEqual({ admin: false });
  });
});

describe("query and list accounts", () => {
  test("query user: Synapse's shape; unknown 404, remote 400, invalid 400", async () => {
    await s.ok("PUT", `${v3}/profile/${enc(alice.userId)}/displayname`, { token: alice.token, body: { displayname: "Alice" } });
    const res = await get(`${A}/v2/users/${enc(alice.userId)}`);
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ name: alice.userId, displayname: "Alice", avatar_url: null, admin: false, deactivated: false, erased: false, is_guest: false, threepids: [], shadow_banned: false, locked: false, user_type: null });
    expect(res.body.creation_ts).toBeLessThan(Date.now() / 100); // seconds, as Synapse
    expect((await get(`${A}/v2/users/${enc("@nobody:test.local")}`)).status).toBe(404);
    expect(await get(`${A}/v2/users/${enc("@bob:elsewhere.org")}`)).toEqual({ status: 400, body: { errcode: "M_UNKNOWN", error: "Can only look up local users" } });
    expect((await get(`${A}/v2/users/notauser`)).body.errcode).toBe("M_INVALID_PARAM");
  });

  test("list: pagination with next_token and total, filters, ordering, bad params", async () => {
    for (const name of ["lu1", "lu2", "lu3"]) await s.register(name);
    const first = await get(`${A}/v2/users?limit=2&user_id=lu`);
    expect(first.body.users.map((u: any) => u.name)).toEqual(["@lu1:test.local", "@lu2:test.local"]);
    expect(first.body).toMatchObject({ total: 3, next_token: "2" });
    const second = await get(`${A}/v2/users?limit=2&user_id=lu&from=${first.body.next_token}`);
    expect(second.body.users.map((u: any) => u.name)).toEqual(["@lu3:test.local"]);
    expect(second.body.next_token).toBeUndefined();
    const back = await get(`${A}/v3/users?user_id=lu&dir=b`);
    expect(back.body.users.map((u: any) => u.name)).toEqual(["@lu3:test.local", "@lu2:test.local", "@lu1:test.local"]);
    expect((await get(`${A}/v2/users?admins=true`)).body.users.map((u: any) => u.name)).toEqual([admin.userId]);
    expect((await get(`${A}/v2/users?name=Alic`)).body.users.map((u: any) => u.name)).toEqual([alice.userId]);
    const guest = await s.registerGuest();
    expect((await get(`${A}/v2/users?user_id=${enc(guest.userId)}`)).body.total).toBe(1);
    expect((await get(`${A}/v2/users?user_id=${enc(guest.userId)}&guests=false`)).body.total).toBe(0);
    for (const bad of ["from=-1", "limit=x", "order_by=size", "dir=up", "guests=maybe"]) {
      const res = await get(`${A}/v2/users?${bad}`);
      expect(res.status).toBe(400);
      expect(res.body.errcode).toBe("M_INVALID_PARAM");
    }
  });
});

describe("create, modify, deactivate", () => {
  test("PUT creates (201) with a working password, then modifies (200)", async () => {
    const id = "@carol:test.local";
    const created = await s.call("PUT", `${A}/v2/users/${enc(id)}`, { token: admin.token, body: { password: "pw-carol", displayname: "Carol", admin: false } });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ name: id, displayname: "Carol", admin: false });
    const login = await s.call("POST", `${v3}/login`, { body: { type: "m.login.password", identifier: { type: "m.id.user", user: "carol" }, password: "pw-carol" } });
    expect(login.status).toBe(200);
    const changed = await s.call("PUT", `${A}/v2/users/${enc(id)}`, { token: admin.token, body: { admin: true, displayname: "" } });
    expect(changed.status).toBe(200);
    expect(changed.body).toMatchObject({ admin: true, displayname: null });
    expect((await s.call("PUT", `${A}/v2/users/${enc("@Up:test.local")}`, { token: admin.token, body: {} })).status).toBe(400);
    expect((await s.call("PUT", `${A}/v2/users/${enc("@x:elsewhere.org")}`, { token: admin.token, body: {} })).status).toBe(400);
    expect((await s.call("PUT", `${A}/v2/users/${enc(id)}`, { token: admin.token, body: { admin: "yes" } })).status).toBe(400);
    expect((await s.call("PUT", `${A}/v2/users/${enc(id)}`, { token: admin.token, body: { user_type: "bot" } })).status).toBe(400);
    expect((await s.call("PUT", `${A}/v2/users/${enc(admin.userId)}`, { token: admin.token, body: { admin: false } })).body.error).toBe("You may not demote yourself.");
  });

  test("deactivate: rooms left, devices and keys gone, login refused; reactivation needs a password", async () => {
    const dave = await s.register("dave", "pw-dave");
    const roomId = await s.createRoom(alice, { preset: "public_chat" });
    expect((await s.join(dave, roomId)).status).toBe(200);
    await s.ok("POST", `${v3}/keys/upload`, { token: dave.token, body: { device_keys: deviceSigner(dave).deviceKeys() } });
    expect((await s.call("POST", `${A}/v1/deactivate/${enc("@ghost:test.local")}`, { token: admin.token, body: {} })).status).toBe(404);
    const res = await s.call("POST", `${A}/v1/deactivate/${enc(dave.userId)}`, { token: admin.token });
    expect(res).toEqual({ status: 200, body: { id_server_unbind_result: "success" } });
    expect((await get(`${v3}/account/whoami`, dave.token)).status).toBe(401);
    expect((await get(`${A}/v2/users/${enc(dave.userId)}/devices`)).body).toEqual({ devices: [], total: 0 });
    const keys = await s.ok("POST", `${v3}/keys/query`, { token: alice.token, body: { device_keys: { [dave.userId]: [] } } });
    expect(keys.device_keys[dave.userId] ?? {}).toEqual({});
    expect((await get(`${A}/v1/rooms/${enc(roomId)}/members`)).body.members).not.toContain(dave.userId);
    expect((await get(`${A}/v2/users/${enc(dave.userId)}`)).body.deactivated).toBe(true);
    expect((await get(`${A}/v2/users?user_id=dave`)).body.total).toBe(0);
    expect((await get(`${A}/v2/users?user_id=dave&deactivated=true`)).body.total).toBe(1);
    expect((await get(`${A}/v3/users?user_id=dave&deactivated=true`)).body.total).toBe(1);
    expect((await s.call("PUT", `${A}/v2/users/${enc(dave.userId)}`, { token: admin.token, body: { deactivated: false } })).status).toBe(400);
    const back = await s.call("PUT", `${A}/v2/users/${enc(dave.userId)}`, { token: admin.token, body: { deactivated: false, password: "pw-new" } });
    expect(back.body.deactivated).toBe(false);
    const login = await s.call("POST", `${v3}/login`, { body: { type: "m.login.password", identifier: { type: "m.id.user", user: "dave" }, password: "pw-new" } });
    expect(login.status).toBe(200);
  });

  test("reset_password logs the devices out unless told not to", async () => {
    const erin = await s.register("erin", "pw-erin");
    const path = `${A}/v1/reset_password/${enc(erin.userId)}`;
    expect((await s.call("POST", path, { token: admin.token, body: {} })).status).toBe(400);
    expect((await s.call("POST", path, { token: admin.token, body: { new_password: "next", logout_devices: false } })).status).toBe(200);
    expect((await get(`${v3}/account/whoami`, erin.token)).status).toBe(200);
    expect((await s.call("POST", path, { token: admin.token, body: { new_password: "again" } })).status).toBe(200);
    expect((await get(`${v3}/account/whoami`, erin.token)).status).toBe(401);
    expect((await s.call("POST", `${A}/v1/reset_password/${enc("@none:test.local")}`, { token: admin.token, body: { new_password: "x" } })).status).toBe(404);
  });

  test("admin flag: get and set; self-demotion refused", async () => {
    const frank = await s.register("frank");
    const path = `${A}/v1/users/${enc(frank.userId)}/admin`;
    expect((await s.call("PUT", path, { token: admin.token, body: { admin: true } })).status).toBe(200);
    expect((await get(path)).body).toEqual({ admin: true });
    expect((await get(`${A}/v1/server_version`, frank.token)).status).toBe(200);
    expect((await s.call("PUT", path, { token: admin.token, body: {} })).status).toBe(400);
    expect((await s.call("PUT", `${A}/v1/users/${enc(admin.userId)}/admin`, { token: admin.token, body: { admin: false } })).status).toBe(400);
    expect((await get(`${A}/v1/users/${enc("@x:elsewhere.org")}/admin`)).status).toBe(400);
  });
});

describe("devices, sessions, rooms, data", () => {
  test("devices: list, show, rename, create, delete one and many", async () => {
    const gina = await s.register("gina");
    const base = `${A}/v2/users/${enc(gina.userId)}/devices`;
    await s.call("GET", `${v3}/account/whoami`, { token: gina.token });
    await s.accounts.lastSeen.flush();
    const list = await get(base);
    expect(list.body.total).toBe(1);
    expect(list.body.devices[0]).toMatchObject({ device_id: gina.deviceId, user_id: gina.userId, dehydrated: false });
    expect((await s.call("PUT", `${base}/${gina.deviceId}`, { token: admin.token, body: { display_name: "phone" } })).status).toBe(200);
    expect((await get(`${base}/${gina.deviceId}`)).body.display_name).toBe("phone");
    expect((await get(`${base}/NOPE`)).status).toBe(404);
    expect((await s.call("POST", base, { token: admin.token, body: { device_id: "EXTRA" } })).status).toBe(200);
    expect((await s.call("POST", base, { token: admin.token, body: {} })).status).toBe(400);
    expect((await get(base)).body.total).toBe(2);
    const whois = await get(`${A}/v1/whois/${enc(gina.userId)}`);
    expect(whois.body.user_id).toBe(gina.userId);
    expect(whois.body.devices[""].sessions[0].connections.length).toBe(1);
    expect((await s.call("DELETE", `${base}/EXTRA`, { token: admin.token })).status).toBe(200);
    expect((await s.call("POST", `${A}/v2/users/${enc(gina.userId)}/delete_devices`, { token: admin.token, body: { devices: [gina.deviceId] } })).status).toBe(200);
    expect((await get(base)).body.total).toBe(0);
    expect((await get(`${v3}/account/whoami`, gina.token)).status).toBe(401);
    expect((await get(`${A}/v2/users/${enc("@none:test.local")}/devices`)).status).toBe(404);
    expect((await get(`${A}/v2/users/${enc("@x:elsewhere.org")}/devices`)).status).toBe(400);
  });

  test("joined rooms and account data", async () => {
    const hank = await s.register("hank");
    const roomId = await s.createRoom(hank);
    expect((await get(`${A}/v1/users/${enc(hank.userId)}/joined_rooms`)).body).toEqual({ joined_rooms: [roomId], total: 1 });
    await s.ok("PUT", `${v3}/user/${enc(hank.userId)}/account_data/org.example.x`, { token: hank.token, body: { a: 1 } });
    await s.ok("PUT", `${v3}/user/${enc(hank.userId)}/rooms/${enc(roomId)}/account_data/org.example.y`, { token: hank.token, body: { b: 2 } });
    const data = await get(`${A}/v1/users/${enc(hank.userId)}/accountdata`);
    expect(data.body.account_data.global["org.example.x"]).toEqual({ a: 1 });
    expect(data.body.account_data.rooms[roomId]).toEqual({ "org.example.y": { b: 2 } });
    expect((await get(`${A}/v1/users/${enc("@none:test.local")}/accountdata`)).status).toBe(404);
  });

  test("user media: newest first, paginated", async () => {
    const ida = await s.register("ida");
    for (const name of ["one.txt", "two.txt"]) {
      const res = await s.app.handle(new Request(`http://localhost/_matrix/media/v3/upload?filename=${name}`, {
        method: "POST", headers: { authorization: `Bearer ${ida.token}`, "content-type": "text/plain" }, body: name,
      }));
      expect(res.status).toBe(200);
      await Bun.sleep(5);
    }
    const page = await get(`${A}/v1/users/${enc(ida.userId)}/media?limit=1`);
    expect(page.body).toMatchObject({ total: 2, next_token: 1 });
    expect(page.body.media[0]).toMatchObject({ upload_name: "two.txt", media_type: "text/plain", media_length: 7, quarantined_by: null });
    const rest = await get(`${A}/v1/users/${enc(ida.userId)}/media?from=1`);
    expect(rest.body.media.map((m: any) => m.upload_name)).toEqual(["one.txt"]);
    expect((await get(`${A}/v1/users/${enc(ida.userId)}/media?order_by=nope`)).status).toBe(400);
  });
});

// GET /pushers and POST /pushers/set through HTTP: set, replace, delete, append, every refusal;
// pushers removed with the device that set them (logout) and on deactivation. Delivery to
// gateways is in pushers-delivery.test.ts.
// https://spec.matrix.org/v1.19/client-server-api/#post_matrixclientv3pushersset
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { createPushersRepo } from "../../src/storage/repos/pushers.ts";
import { passwordAuth } from "../helpers/user-data.ts";
import { roomsTestServer, type RoomsTestServer, type Session } from "../helpers/rooms.ts";

const v3 = "/_matrix/client/v3";

let s: RoomsTestServer;
beforeAll(async () => {
  s = await roomsTestServer();
});
afterAll(() => s.close());

const pusher = (url: string, overrides: Record<string, unknown> = {}) => ({
  kind: "http", app_id: "org.example.app.ios", pushkey: "key-1", app_display_name: "Example", device_display_name: "Phone",
  lang: "en", data: { url }, ...overrides,
});
const setPusher = (user: Session, body: unknown) => s.call("POST", `${v3}/pushers/set`, { token: user.token, body });
const listPushers = async (user: Session) => (await s.ok("GET", `${v3}/pushers`, { token: user.token })).pushers as any[];
const expectError = (res: { status: number; body: any }, status: number, errcode: string) => expect([res.status, res.body?.errcode]).toEqual([status, errcode]);

describe("GET /pushers, POST /pushers/set", () => {
  test("set, list, replace, delete", async () => {
    const alice = await s.register("set-alice");
    expect(await listPushers(alice)).toEqual([]);
    const url = "https://push.example.org/_matrix/push/v1/notify";
    expect((await setPusher(alice, pusher(url, { profile_tag: "tag", data: { url, format: "event_id_only", custom: 1 } }))).body).toEqual({});
    expect(await listPushers(alice)).toEqual([
      { pushkey: "key-1", kind: "http", app_id: "org.example.app.ios", app_display_name: "Example", device_display_name: "Phone", profile_tag: "tag", lang: "en", data: { url, format: "event_id_only", custom: 1 } },
    ]);
    // The same app_id and pushkey: replaced, not added.
    await s.ok("POST", `${v3}/pushers/set`, { token: alice.token, body: pusher(url, { device_display_name: "New phone" }) });
    let pushers = await listPushers(alice);
    expect(pushers.map((p) => [p.pushkey, p.device_display_name, p.profile_tag, p.data])).toEqual([["key-1", "New phone", undefined, { url }]]);
    await s.ok("POST", `${v3}/pushers/set`, { token: alice.token, body: pusher(url, { pushkey: "key-2" }) });
    expect((await listPushers(alice)).map((p) => p.pushkey).sort()).toEqual(["key-1", "key-2"]);
    // kind null deletes; deleting what does not exist is no error.
    await s.ok("POST", `${v3}/pushers/set`, { token: alice.token, body: { kind: null, app_id: "org.example.app.ios", pushkey: "key-1" } });
    await s.ok("POST", `${v3}/pushers/set`, { token: alice.token, body: { kind: null, app_id: "org.example.app.ios", pushkey: "key-1" } });
    pushers = await listPushers(alice);
    expect(pushers.map((p) => p.pushkey)).toEqual(["key-2"]);
    // r0 path too.
    expect((await s.ok("GET", "/_matrix/client/r0/pushers", { token: alice.token })).pushers).toHaveLength(1);
  });

  test("append: false (the default) takes the pushkey from other users; true shares it", async () => {
    const [a, b, c] = [await s.register("append-a"), await s.register("append-b"), await s.register("append-c")];
    const url = "https://push.example.org/_matrix/push/v1/notify";
    await s.ok("POST", `${v3}/pushers/set`, { token: a.token, body: pusher(url, { pushkey: "shared" }) });
    await s.ok("POST", `${v3}/pushers/set`, { token: b.token, body: pusher(url, { pushkey: "shared", append: true }) });
    expect([(await listPushers(a)).length, (await listPushers(b)).length]).toEqual([1, 1]);
    await s.ok("POST", `${v3}/pushers/set`, { token: c.token, body: pusher(url, { pushkey: "shared" }) });
    expect([(await listPushers(a)).length, (await listPushers(b)).length, (await listPushers(c)).length]).toEqual([0, 0, 1]);
    // Another app_id with the same pushkey is another pusher.
    await s.ok("POST", `${v3}/pushers/set`, { token: a.token, body: pusher(url, { pushkey: "shared", app_id: "org.example.other" }) });
    expect([(await listPushers(a)).length, (await listPushers(c)).length]).toEqual([1, 1]);
  });

  test("refusals", async () => {
    const user = await s.register("refusals");
    const url = "https://push.example.org/_matrix/push/v1/notify";
    const refused = async (body: unknown, status: number, errcode: string) => expectError(await setPusher(user, body), status, errcode);
    await refused({ app_id: "a", pushkey: "k" }, 400, "M_MISSING_PARAM");
    const { lang: _lang, data: _data, ...withoutLangAndData } = pusher(url);
    const res = await setPusher(user, withoutLangAndData);
    expectError(res, 400, "M_MISSING_PARAM");
    expect(res.body.error).toBe("Missing parameters: lang, data");
    await refused({ kind: null, app_id: "a" }, 400, "M_MISSING_PARAM");
    await refused(pusher(url, { kind: "carrier-pigeon" }), 400, "M_INVALID_PARAM");
    await refused(pusher(url, { kind: "email", app_id: "m.email", pushkey: "a@example.org" }), 400, "M_INVALID_PARAM");
    await refused(pusher(url, { data: {} }), 400, "M_MISSING_PARAM");
    await refused(pusher(url, { data: { url: 5 } }), 400, "M_INVALID_PARAM");
    await refused(pusher(url, { data: { url: "not a url" } }), 400, "M_INVALID_PARAM");
    await refused(pusher(url, { data: { url: "https://push.example.org/notify" } }), 400, "M_INVALID_PARAM");
    await refused(pusher(url, { data: { url: "ftp://push.example.org/_matrix/push/v1/notify" } }), 400, "M_INVALID_PARAM");
    await refused(pusher(url, { app_id: "a".repeat(65) }), 400, "M_INVALID_PARAM");
    await refused(pusher(url, { pushkey: "é".repeat(257) }), 400, "M_INVALID_PARAM");
    await refused(pusher(url, { data: { url, blob: "x".repeat(20_000) } }), 400, "M_INVALID_PARAM");
    await refused(pusher(url, { app_id: 5 }), 400, "M_BAD_JSON");
    await refused(pusher(url, { data: "url" }), 400, "M_BAD_JSON");
    await refused(pusher(url, { append: "yes" }), 400, "M_BAD_JSON");
    await refused([pusher(url)], 400, "M_NOT_JSON");
    expectError(await s.call("POST", `${v3}/pushers/set`, { token: user.token, rawBody: "{not json" }), 400, "M_NOT_JSON");
    expectError(await s.call("GET", `${v3}/pushers`), 401, "M_MISSING_TOKEN");
    // At the limits: accepted (64 characters, 512 bytes, http as well as https).
    expect((await setPusher(user, pusher(url.replace("https", "http"), { app_id: "a".repeat(64), pushkey: "é".repeat(256) }))).status).toBe(200);
    expect((await listPushers(user)).map((p) => p.app_id)).toEqual(["a".repeat(64)]);
  });
});

describe("pushers go with their device and their account", () => {
  test("logout removes the pushers that device set, not the others", async () => {
    const bob = await s.register("logout-bob");
    const url = "https://push.example.org/_matrix/push/v1/notify";
    const login = await s.ok("POST", `${v3}/login`, { body: { type: "m.login.password", identifier: { type: "m.id.user", user: "logout-bob" }, password: "correct horse" } });
    await s.ok("POST", `${v3}/pushers/set`, { token: login.access_token, body: pusher(url, { pushkey: "phone" }) });
    await s.ok("POST", `${v3}/pushers/set`, { token: bob.token, body: pusher(url, { pushkey: "laptop" }) });
    expect((await listPushers(bob)).length).toBe(2);
    await s.ok("POST", `${v3}/logout`, { token: login.access_token, body: {} });
    expect((await listPushers(bob)).map((p) => p.pushkey)).toEqual(["laptop"]);
  });

  test("deactivation removes every pusher of the account", async () => {
    const dave = await s.register("deactivate-dave");
    const url = "https://push.example.org/_matrix/push/v1/notify";
    await s.ok("POST", `${v3}/pushers/set`, { token: dave.token, body: pusher(url, { pushkey: "d1" }) });
    await s.ok("POST", `${v3}/pushers/set`, { token: dave.token, body: pusher(url, { pushkey: "d2" }) });
    await s.ok("POST", `${v3}/account/deactivate`, { token: dave.token, body: { auth: passwordAuth(dave.userId, "correct horse") } });
    expect((await createPushersRepo(s.db.db).ofUser(dave.userId)).length).toBe(0);
    expect(s.services.push.pushers.hasAny(dave.userId)).toBe(false);
  });
});

// Server-side key backups through the client API: versions, keys at every granularity, the
// replacement rules, etag and count, and the refusals.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { roomsTestServer, type RoomsTestServer, type Session } from "../helpers/rooms.ts";

let server: RoomsTestServer;
let alice: Session;
let bob: Session;
const v3 = "/_matrix/client/v3";
const ALGORITHM = "m.megolm_backup.v1.curve25519-aes-sha2";
const room = "!room:test.local";
const enc = encodeURIComponent;

beforeAll(async () => {
  server = await roomsTestServer();
  alice = await server.register("alice");
  bob = await server.register("bob");
});
afterAll(() => server.close());

const key = (first: number, forwarded: number, verified: boolean, tag = "x") => ({
  first_message_index: first, forwarded_count: forwarded, is_verified: verified, session_data: { ciphertext: tag, ephemeral: "e", mac: "m" },
});
const createVersion = async (user: Session, authData: Record<string, unknown> = { public_key: "pk" }) =>
  (await server.ok("POST", `${v3}/room_keys/version`, { token: user.token, body: { algorithm: ALGORITHM, auth_data: authData } })).version as string;

describe("backup versions", () => {
  test("no backup: 404 M_NOT_FOUND", async () => {
    const res = await server.call("GET", `${v3}/room_keys/version`, { token: bob.token });
    expect(res.status).toBe(404);
    expect(res.body.errcode).toBe("M_NOT_FOUND");
  });

  test("create, read current and by version, update auth_data, delete", async () => {
    const version = await createVersion(alice);
    const current = await server.ok("GET", `${v3}/room_keys/version`, { token: alice.token });
    expect(current).toEqual({ algorithm: ALGORITHM, auth_data: { public_key: "pk" }, version, etag: "0", count: 0 });
    expect(await server.ok("GET", `${v3}/room_keys/version/${version}`, { token: alice.token })).toEqual(current);
    await server.ok("PUT", `${v3}/room_keys/version/${version}`, { token: alice.token, body: { algorithm: ALGORITHM, auth_data: { public_key: "pk2" }, version } });
    expect((await server.ok("GET", `${v3}/room_keys/version`, { token: alice.token })).auth_data).toEqual({ public_key: "pk2" });
    // Another user does not see it.
    expect((await server.call("GET", `${v3}/room_keys/version/${version}`, { token: bob.token })).status).toBe(404);

    const newer = await createVersion(alice);
    expect(Number(newer)).toBeGreaterThan(Number(version));
    expect((await server.ok("GET", `${v3}/room_keys/version`, { token: alice.token })).version).toBe(newer);
    await server.ok("DELETE", `${v3}/room_keys/version/${newer}`, { token: alice.token });
    expect((await server.call("GET", `${v3}/room_keys/version/${newer}`, { token: alice.token })).status).toBe(404);
    // The older one is current again; a new one never reuses the deleted number.
    expect((await server.ok("GET", `${v3}/room_keys/version`, { token: alice.token })).version).toBe(version);
    expect(Number(await createVersion(alice))).toBeGreaterThan(Number(newer));
  });

  test("update refusals: other algorithm, version mismatch, unknown version", async () => {
    const version = await createVersion(alice);
    const wrongAlgorithm = await server.call("PUT", `${v3}/room_keys/version/${version}`, { token: alice.token, body: { algorithm: "other", auth_data: {} } });
    expect([wrongAlgorithm.status, wrongAlgorithm.body.errcode]).toEqual([400, "M_INVALID_PARAM"]);
    const mismatch = await server.call("PUT", `${v3}/room_keys/version/${version}`, { token: alice.token, body: { algorithm: ALGORITHM, auth_data: {}, version: "999" } });
    expect([mismatch.status, mismatch.body.errcode]).toEqual([400, "M_INVALID_PARAM"]);
    const unknown = await server.call("PUT", `${v3}/room_keys/version/999`, { token: alice.token, body: { algorithm: ALGORITHM, auth_data: {} } });
    expect([unknown.status, unknown.body.errcode]).toEqual([404, "M_NOT_FOUND"]);
    expect((await server.call("DELETE", `${v3}/room_keys/version/nope`, { token: alice.token })).status).toBe(404);
    expect((await server.call("GET", `${v3}/room_keys/version/abc`, { token: alice.token })).status).toBe(404);
  });

  test("bad bodies and oversized auth_data are refused", async () => {
    const missing = await server.call("POST", `${v3}/room_keys/version`, { token: alice.token, body: { algorithm: ALGORITHM } });
    expect(missing.status).toBe(400);
    const huge = await server.call("POST", `${v3}/room_keys/version`, { token: alice.token, body: { algorithm: ALGORITHM, auth_data: { blob: "a".repeat(70_000) } } });
    expect([huge.status, huge.body.errcode]).toEqual([413, "M_TOO_LARGE"]);
  });
});

describe("backup keys", () => {
  test("store at every granularity, read back, etag and count move", async () => {
    const user = await server.register("carol");
    const version = await createVersion(user);
    const q = `?version=${version}`;
    const first = await server.ok("PUT", `${v3}/room_keys/keys/${enc(room)}/s1${q}`, { token: user.token, body: key(5, 1, false) });
    expect(first.count).toBe(1);
    const second = await server.ok("PUT", `${v3}/room_keys/keys/${enc(room)}${q}`, { token: user.token, body: { sessions: { s2: key(0, 0, true) } } });
    expect(second.count).toBe(2);
    expect(second.etag).not.toBe(first.etag);
    const third = await server.ok("PUT", `${v3}/room_keys/keys${q}`, { token: user.token, body: { rooms: { "!other:test.local": { sessions: { s3: key(0, 0, false) } } } } });
    expect(third.count).toBe(3);

    const all = await server.ok("GET", `${v3}/room_keys/keys${q}`, { token: user.token });
    expect(all.rooms[room].sessions).toEqual({ s1: key(5, 1, false), s2: key(0, 0, true) });
    expect(all.rooms["!other:test.local"].sessions.s3).toEqual(key(0, 0, false));
    expect(await server.ok("GET", `${v3}/room_keys/keys/${enc(room)}${q}`, { token: user.token })).toEqual({ sessions: { s1: key(5, 1, false), s2: key(0, 0, true) } });
    expect(await server.ok("GET", `${v3}/room_keys/keys/${enc(room)}/s2${q}`, { token: user.token })).toEqual(key(0, 0, true));
    expect(await server.ok("GET", `${v3}/room_keys/keys/${enc("!none:test.local")}${q}`, { token: user.token })).toEqual({ sessions: {} });
    const missing = await server.call("GET", `${v3}/room_keys/keys/${enc(room)}/nope${q}`, { token: user.token });
    expect([missing.status, missing.body.errcode]).toEqual([404, "M_NOT_FOUND"]);
    const info = await server.ok("GET", `${v3}/room_keys/version`, { token: user.token });
    expect([info.count, info.etag]).toEqual([3, third.etag]);

    // Deletes at every granularity.
    const del1 = await server.ok("DELETE", `${v3}/room_keys/keys/${enc(room)}/s1${q}`, { token: user.token });
    expect(del1.count).toBe(2);
    expect(del1.etag).not.toBe(third.etag);
    expect((await server.ok("DELETE", `${v3}/room_keys/keys/${enc(room)}${q}`, { token: user.token })).count).toBe(1);
    const delAll = await server.ok("DELETE", `${v3}/room_keys/keys${q}`, { token: user.token });
    expect(delAll.count).toBe(0);
    expect((await server.ok("GET", `${v3}/room_keys/keys${q}`, { token: user.token })).rooms).toEqual({});
  });

  test("replacement rules: verified, then lower first_message_index, then lower forwarded_count", async () => {
    const user = await server.register("dave");
    const version = await createVersion(user);
    const path = `${v3}/room_keys/keys/${enc(room)}/s${`?version=${version}`}`;
    const put = (body: unknown) => server.ok("PUT", path, { token: user.token, body });
    const stored = async () => (await server.ok("GET", path, { token: user.token })).session_data.ciphertext;

    const base = await put(key(10, 2, false, "a"));
    const worse = await put(key(11, 0, false, "b")); // higher index: kept out
    expect(await stored()).toBe("a");
    expect(worse.etag).toBe(base.etag);
    await put(key(10, 2, false, "c")); // equal: kept out
    expect(await stored()).toBe("a");
    await put(key(10, 1, false, "d")); // same index, fewer forwards
    expect(await stored()).toBe("d");
    await put(key(3, 5, false, "e")); // lower index wins over forwards
    expect(await stored()).toBe("e");
    const verified = await put(key(20, 9, true, "f")); // verified wins over everything
    expect(await stored()).toBe("f");
    expect(verified.etag).not.toBe(base.etag);
    await put(key(0, 0, false, "g")); // unverified never replaces verified
    expect(await stored()).toBe("f");
    await put(key(1, 0, true, "h"));
    expect(await stored()).toBe("h");
  });

  test("writes only to the current version: 403 M_WRONG_ROOM_KEYS_VERSION with current_version", async () => {
    const user = await server.register("erin");
    expect((await server.call("PUT", `${v3}/room_keys/keys/${enc(room)}/s?version=1`, { token: user.token, body: key(0, 0, false) })).status).toBe(404);
    const old = await createVersion(user);
    const current = await createVersion(user);
    const res = await server.call("PUT", `${v3}/room_keys/keys/${enc(room)}/s?version=${old}`, { token: user.token, body: key(0, 0, false) });
    expect(res.status).toBe(403);
    expect(res.body).toMatchObject({ errcode: "M_WRONG_ROOM_KEYS_VERSION", current_version: current });
    // Reads of an older version still work; an unknown one is 404.
    expect(await server.ok("GET", `${v3}/room_keys/keys?version=${old}`, { token: user.token })).toEqual({ rooms: {} });
    expect((await server.call("GET", `${v3}/room_keys/keys?version=77`, { token: user.token })).status).toBe(404);
    expect((await server.call("DELETE", `${v3}/room_keys/keys?version=77`, { token: user.token })).status).toBe(404);
  });

  test("bad key data and a missing version parameter are refused", async () => {
    const user = await server.register("frank");
    const version = await createVersion(user);
    const bad = await server.call("PUT", `${v3}/room_keys/keys/${enc(room)}/s?version=${version}`, { token: user.token, body: { ...key(0, 0, false), first_message_index: -1 } });
    expect(bad.status).toBe(400);
    const noVersion = await server.call("PUT", `${v3}/room_keys/keys/${enc(room)}/s`, { token: user.token, body: key(0, 0, false) });
    expect(noVersion.status).toBe(400);
    const wrongType = await server.call("PUT", `${v3}/room_keys/keys?version=${version}`, { token: user.token, body: { rooms: { [room]: { sessions: { s: { is_verified: "yes" } } } } } });
    expect(wrongType.status).toBe(400);
  });

  test("deleting a version drops its keys", async () => {
    const user = await server.register("gina");
    const version = await createVersion(user);
    await server.ok("PUT", `${v3}/room_keys/keys/${enc(room)}/s?version=${version}`, { token: user.token, body: key(0, 0, false) });
    await server.ok("DELETE", `${v3}/room_keys/version/${version}`, { token: user.token });
    expect((await server.call("GET", `${v3}/room_keys/keys?version=${version}`, { token: user.token })).status).toBe(404);
    expect((await server.call("GET", `${v3}/room_keys/version`, { token: user.token })).status).toBe(404);
  });
});

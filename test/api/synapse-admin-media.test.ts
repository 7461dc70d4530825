// Synapse's media admin API through HTTP: quarantine (by id, room, user), protect, delete (one,
// by date and size, a user's). Quarantined media answers 404 to downloads.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { roomsTestServer, type RoomsTestServer, type Session } from "../helpers/rooms.ts";

let s: RoomsTestServer;
let admin: Session;
let alice: Session;
let bob: Session;
const A = "/_synapse/admin";
const enc = encodeURIComponent;
const store = mkdtempSync(join(tmpdir(), "myelin-admin-media-"));

beforeAll(async () => {
  s = await roomsTestServer({ MEDIA_STORE_PATH: store });
  admin = await s.register("admin");
  await s.accounts.repo.setAdmin(admin.userId, true);
  alice = await s.register("alice");
  bob = await s.register("bob");
});
afterAll(async () => {
  await s.close();
  rmSync(store, { recursive: true, force: true });
});

async function upload(user: Session, text = "bytes"): Promise<string> {
  const res = await s.app.handle(new Request("http://localhost/_matrix/media/v3/upload", {
    method: "POST", body: new TextEncoder().encode(text), headers: { Authorization: `Bearer ${user.token}`, "Content-Type": "text/plain" },
  }), "127.0.0.1");
  expect(res.status).toBe(200);
  return ((await res.json()) as { content_uri: string }).content_uri.slice("mxc://test.local/".length);
}
const download = async (mediaId: string, token = alice.token) =>
  (await s.app.handle(new Request(`http://localhost/_matrix/client/v1/media/download/test.local/${mediaId}`, { headers: { Authorization: `Bearer ${token}` } }), "127.0.0.1")).status;
const post = (path: string, token = admin.token) => s.call("POST", path, { token, body: {} });
const filePath = (id: string) => join(store, "local_content", id.slice(0, 2), id.slice(2, 4), id.slice(4));

describe("quarantine", () => {
  test("by id, unquarantine, protect; non-admin 403", async () => {
    const id = await upload(alice);
    expect((await post(`${A}/v1/media/quarantine/test.local/${id}`, alice.token)).status).toBe(403);
    expect((await post(`${A}/v1/media/quarantine/test.local/${id}`)).body).toEqual({});
    expect(await download(id)).toBe(404);
    const listed = await s.ok("GET", `${A}/v1/users/${enc(alice.userId)}/media`, { token: admin.token });
    expect(listed.media.find((m: any) => m.media_id === id)).toMatchObject({ quarantined_by: admin.userId, safe_from_quarantine: false });
    expect((await post(`${A}/v1/media/unquarantine/test.local/${id}`)).body).toEqual({});
    expect(await download(id)).toBe(200);
    expect((await post(`${A}/v1/media/protect/${id}`)).body).toEqual({});
    await post(`${A}/v1/media/quarantine/test.local/${id}`);
    expect(await download(id)).toBe(200);
    await post(`${A}/v1/media/unprotect/${id}`);
    await post(`${A}/v1/media/quarantine/test.local/${id}`);
    expect(await download(id)).toBe(404);
  });

  test("a room's media and a user's media, protected media passed by", async () => {
    const room = await s.createRoom(alice);
    const inRoom = await upload(alice, "one");
    const thumb = await upload(alice, "two");
    const protectedId = await upload(alice, "three");
    const elsewhere = await upload(alice, "four");
    await post(`${A}/v1/media/protect/${protectedId}`);
    await s.ok("PUT", `/_matrix/client/v3/rooms/${enc(room)}/send/m.room.message/m1`, {
      token: alice.token, body: { msgtype: "m.image", body: "pic", url: `mxc://test.local/${inRoom}`, info: { thumbnail_url: `mxc://test.local/${thumb}` } },
    });
    await s.ok("PUT", `/_matrix/client/v3/rooms/${enc(room)}/send/m.room.message/m2`, { token: alice.token, body: { msgtype: "m.file", body: "f", url: `mxc://test.local/${protectedId}` } });
    expect((await post(`${A}/v1/room/${enc(room)}/media/quarantine`, bob.token)).status).toBe(403);
    expect((await post(`${A}/v1/room/${enc(room)}/media/quarantine`)).body).toEqual({ num_quarantined: 2 });
    expect([await download(inRoom), await download(thumb), await download(protectedId), await download(elsewhere)]).toEqual([404, 404, 200, 200]);

    const bobs = [await upload(bob, "b1"), await upload(bob, "b2")];
    expect((await post(`${A}/v1/user/${enc(bob.userId)}/media/quarantine`)).body).toEqual({ num_quarantined: 2 });
    for (const id of bobs) expect(await download(id)).toBe(404);
  });
});

describe("delete", () => {
  test("one local media: rows and files go; refusals", async () => {
    const id = await upload(alice);
    expect(existsSync(filePath(id))).toBe(true);
    expect((await s.call("DELETE", `${A}/v1/media/test.local/${id}`, { token: alice.token })).status).toBe(403);
    expect((await s.call("DELETE", `${A}/v1/media/elsewhere.example/${id}`, { token: admin.token })).status).toBe(400);
    expect((await s.call("DELETE", `${A}/v1/media/test.local/${"x".repeat(24)}`, { token: admin.token })).status).toBe(404);
    expect((await s.call("DELETE", `${A}/v1/media/test.local/${id}`, { token: admin.token })).body).toEqual({ deleted_media: [id], total: 1 });
    expect(existsSync(filePath(id))).toBe(false);
    expect(await download(id)).toBe(404);
  });

  test("by date and size: protected and avatars kept; bad parameters refused", async () => {
    const small = await upload(alice, "s");
    const large = await upload(alice, "a much larger file body");
    const avatar = await upload(alice, "avatar bytes that are long enough");
    const guarded = await upload(alice, "protected and long enough bytes");
    await post(`${A}/v1/media/protect/${guarded}`);
    await s.ok("PUT", `/_matrix/client/v3/profile/${enc(alice.userId)}/avatar_url`, { token: alice.token, body: { avatar_url: `mxc://test.local/${avatar}` } });
    const future = Date.now() + 60_000;
    expect((await post(`${A}/v1/media/delete`)).body.errcode).toBe("M_MISSING_PARAM");
    expect((await post(`${A}/v1/media/delete?before_ts=1000`)).body.errcode).toBe("M_INVALID_PARAM");
    expect((await post(`${A}/v1/media/delete?before_ts=${future}&size_gt=-1`)).body.errcode).toBe("M_INVALID_PARAM");
    expect((await post(`${A}/v1/media/delete?before_ts=${future}`, alice.token)).status).toBe(403);
    expect((await post(`${A}/v1/media/delete?before_ts=${Date.now() - 3_600_000}`)).body).toEqual({ deleted_media: [], total: 0 });

    const res = await post(`${A}/v1/media/delete?before_ts=${future}&size_gt=10`);
    expect(res.body.deleted_media).toContain(large);
    expect(res.body.deleted_media).not.toContain(small);
    expect(res.body.deleted_media).not.toContain(avatar);
    expect(res.body.deleted_media).not.toContain(guarded);
    expect((await post(`${A}/v1/media/test.local/delete?before_ts=${future}&keep_profiles=false`)).body.deleted_media).toContain(avatar);
    expect(await download(guarded)).toBe(200);
  });

  test("a user's media: the page asked for", async () => {
    const carol = await s.register("carol");
    const ids = [await upload(carol, "c1"), await upload(carol, "c2"), await upload(carol, "c3")];
    expect((await s.call("DELETE", `${A}/v1/users/${enc(carol.userId)}/media?limit=2`, { token: carol.token })).status).toBe(403);
    expect((await s.call("DELETE", `${A}/v1/users/${enc("@nobody:test.local")}/media`, { token: admin.token })).status).toBe(404);
    const first = await s.call("DELETE", `${A}/v1/users/${enc(carol.userId)}/media?limit=2&order_by=media_id&dir=f`, { token: admin.token });
    // The page is the first two by media id (byte order); the answer lists them in no set order.
    expect({ ...first.body, deleted_media: [...first.body.deleted_media].sort() }).toEqual({ deleted_media: [...ids].sort().slice(0, 2), total: 2 });
    const rest = await s.call("DELETE", `${A}/v1/users/${enc(carol.userId)}/media`, { token: admin.token });
    expect(rest.body).toEqual({ deleted_media: [...ids].sort().slice(2), total: 1 });
  });
});

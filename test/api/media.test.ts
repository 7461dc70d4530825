// The content repository through HTTP: uploads, downloads, headers, async uploads, legacy endpoints.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { existsSync, mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createApp } from "../../src/app.ts";
import { createMediaServices } from "../../src/media/index.ts";
import { roomsTestServer, type RoomsTestServer, type Session } from "../helpers/rooms.ts";
import { json, testConfig } from "../helpers/services.ts";

let server: RoomsTestServer;
let alice: Session;
let bob: Session;
const store = mkdtempSync(join(tmpdir(), "myelin-media-"));

beforeAll(async () => {
  server = await roomsTestServer({ MEDIA_STORE_PATH: store, MAX_UPLOAD_SIZE: "1K", MAX_PENDING_MEDIA_UPLOADS: "2" });
  alice = await server.register("alice");
  bob = await server.register("bob");
});
afterAll(async () => {
  await server.close();
  rmSync(store, { recursive: true, force: true });
});

type Init = { token?: string; body?: RequestInit["body"]; headers?: Record<string, string> };
const request = (app: { handle(r: Request, ip?: string): Promise<Response> }, method: string, path: string, init: Init = {}) =>
  app.handle(
    new Request(`http://localhost${path}`, { method, body: init.body, headers: { ...(init.token ? { Authorization: `Bearer ${init.token}` } : {}), ...init.headers } }),
    "127.0.0.1",
  );
const http = (method: string, path: string, init: Init = {}) => request(server.app, method, path, init);

async function upload(user: Session, bytes: Uint8Array, contentType?: string, fileName?: string): Promise<string> {
  const query = fileName === undefined ? "" : `?filename=${encodeURIComponent(fileName)}`;
  const res = await http("POST", `/_matrix/media/v3/upload${query}`, { token: user.token, body: bytes, headers: contentType ? { "Content-Type": contentType } : {} });
  expect(res.status).toBe(200);
  const { content_uri } = (await json(res)) as { content_uri: string };
  expect(content_uri).toMatch(/^mxc:\/\/test\.local\/[A-Za-z0-9]{24}$/);
  return content_uri.slice("mxc://".length);
}
const download = (path: string, token?: string) => http("GET", `/_matrix/client/v1/media/download/${path}`, { token });
const randomBytes = (n: number) => crypto.getRandomValues(new Uint8Array(n));

describe("upload and download", () => {
  test("binary content round-trips byte for byte with the spec's headers", async () => {
    const bytes = randomBytes(1000);
    const path = await upload(alice, bytes, "image/png", "cat.png");
    const res = await download(path, bob.token);
    expect(res.status).toBe(200);
    expect(new Uint8Array(await res.arrayBuffer())).toEqual(bytes);
    expect(res.headers.get("content-type")).toBe("image/png");
    expect(res.headers.get("content-length")).toBe("1000");
    expect(res.headers.get("content-disposition")).toBe("inline; filename=cat.png");
    expect(res.headers.get("content-security-policy")).toBe(
      "sandbox; default-src 'none'; script-src 'none'; plugin-types application/pdf; style-src 'unsafe-inline'; object-src 'self';",
    );
    expect(res.headers.get("cross-origin-resource-policy")).toBe("cross-origin");
  });

  test("files land in the Synapse layout local_content/ab/cd/rest", async () => {
    const path = await upload(alice, randomBytes(10));
    const id = path.split("/")[1]!;
    expect(existsSync(join(store, "local_content", id.slice(0, 2), id.slice(2, 4), id.slice(4)))).toBe(true);
  });

  test("unsafe types are served as attachment; the path's file name wins; names are encoded", async () => {
    const path = await upload(alice, new TextEncoder().encode("<script>alert(1)</script>"), "text/html", "page.html");
    let res = await download(path, alice.token);
    expect(res.headers.get("content-type")).toBe("text/html; charset=utf-8");
    expect(res.headers.get("content-disposition")).toBe("attachment; filename=page.html");
    res = await download(`${path}/${encodeURIComponent("résumé \"final\".html")}`, alice.token);
    expect(res.headers.get("content-disposition")).toBe("attachment; filename*=utf-8''r%C3%A9sum%C3%A9%20%22final%22.html");
  });

  test("a missing or malformed Content-Type is stored as application/octet-stream", async () => {
    for (const contentType of [undefined, "not a type", "text/plain\r\nX-Evil: 1".replace(/[\r\n]/g, " ")]) {
      const path = await upload(alice, randomBytes(4), contentType);
      const res = await download(path, alice.token);
      expect(res.headers.get("content-type")).toBe("application/octet-stream");
      expect(res.headers.get("content-disposition")).toBe("attachment");
    }
  });

  test("an empty upload is stored and served empty", async () => {
    const path = await upload(alice, new Uint8Array(0), "text/plain");
    const res = await download(path, alice.token);
    expect(res.status).toBe(200);
    expect((await res.arrayBuffer()).byteLength).toBe(0);
  });

  test("uploads past max_upload_size are refused, declared or streamed, and leave no file", async () => {
    const before = readdirSync(join(store, "tmp")).length;
    const declared = await http("POST", "/_matrix/media/v3/upload", { token: alice.token, body: randomBytes(1025) });
    expect(declared.status).toBe(413);
    expect((await json(declared)).errcode).toBe("M_TOO_LARGE");
    const chunks = [randomBytes(600), randomBytes(600)];
    const stream = new ReadableStream<Uint8Array>({ pull: (controller) => (chunks.length ? controller.enqueue(chunks.shift()!) : controller.close()) });
    const streamed = await http("POST", "/_matrix/media/v3/upload", { token: alice.token, body: stream });
    expect(streamed.status).toBe(413);
    expect((await json(streamed)).errcode).toBe("M_TOO_LARGE");
    expect(readdirSync(join(store, "tmp")).length).toBe(before);
  });

  test("uploading needs an access token", async () => {
    const res = await http("POST", "/_matrix/media/v3/upload", { body: randomBytes(4) });
    expect(res.status).toBe(401);
    expect((await json(res)).errcode).toBe("M_MISSING_TOKEN");
  });

  test("authenticated download needs a token", async () => {
    const path = await upload(alice, randomBytes(4));
    const res = await download(path);
    expect(res.status).toBe(401);
    expect((await json(res)).errcode).toBe("M_MISSING_TOKEN");
  });

  test("unknown media, other servers' media and traversal attempts are refused, never served", async () => {
    const path = await upload(alice, randomBytes(4));
    const id = path.split("/")[1]!;
    const cases: [string, number, string][] = [
      ["test.local/AAAAAAAAAAAAAAAAAAAAAAAA", 404, "M_NOT_FOUND"],
      // Another server's media is fetched over federation: loopback is refused by ip_range_blacklist, so 502.
      [`127.0.0.1:1/${id}`, 502, "M_UNKNOWN"],
      ["test.local/..%2F..%2Fetc%2Fpasswd", 404, "M_NOT_FOUND"],
      [`test.local/..%2F${id}`, 404, "M_NOT_FOUND"],
      [`test.local/${id}%00`, 400, "M_INVALID_PARAM"],
      // The URL parser resolves ".." away: no route is left.
      ["test.local/..", 404, "M_UNRECOGNIZED"],
    ];
    for (const [target, status, errcode] of cases) {
      const res = await download(target, alice.token);
      expect([target, res.status, (await json(res)).errcode]).toEqual([target, status, errcode]);
    }
  });

  test("a row whose file was removed by hand is 404, not a broken 200", async () => {
    const path = await upload(alice, randomBytes(4));
    const id = path.split("/")[1]!;
    rmSync(join(store, "local_content", id.slice(0, 2), id.slice(2, 4), id.slice(4)));
    const res = await download(path, alice.token);
    expect([res.status, (await json(res)).errcode]).toEqual([404, "M_NOT_FOUND"]);
  });

  test("GET /media/config reports max_upload_size", async () => {
    const res = await http("GET", "/_matrix/client/v1/media/config", { token: alice.token });
    expect(await json(res)).toEqual({ "m.upload.size": 1024 });
    expect((await http("GET", "/_matrix/client/v1/media/config")).status).toBe(401);
  });
});

describe("async uploads (POST /create, PUT /upload/{serverName}/{mediaId})", () => {
  test("create, then upload once by the creator; a download waiting with timeout_ms gets it", async () => {
    const created = await json(await http("POST", "/_matrix/media/v1/create", { token: alice.token }));
    expect(created.content_uri).toMatch(/^mxc:\/\/test\.local\/[A-Za-z0-9]{24}$/);
    expect(created.unused_expires_at).toBeGreaterThan(Date.now() + 23 * 3_600_000);
    const path = created.content_uri.slice("mxc://".length);

    const early = await download(`${path}?timeout_ms=0`, alice.token);
    expect(early.status).toBe(504);
    expect((await json(early)).errcode).toBe("M_NOT_YET_UPLOADED");

    const waiting = download(`${path}?timeout_ms=5000`, bob.token);
    const bytes = randomBytes(50);
    const notCreator = await http("PUT", `/_matrix/media/v3/upload/${path}`, { token: bob.token, body: bytes });
    expect(notCreator.status).toBe(403);
    expect((await json(notCreator)).errcode).toBe("M_FORBIDDEN");
    const put = await http("PUT", `/_matrix/media/v3/upload/${path}?filename=a.bin`, { token: alice.token, body: bytes, headers: { "Content-Type": "application/pdf" } });
    expect(put.status).toBe(200);
    expect(await json(put)).toEqual({});

    const res = await waiting;
    expect(res.status).toBe(200);
    expect(new Uint8Array(await res.arrayBuffer())).toEqual(bytes);
    expect(res.headers.get("content-type")).toBe("application/pdf");
    expect(res.headers.get("content-disposition")).toBe("attachment; filename=a.bin");

    const again = await http("PUT", `/_matrix/media/v3/upload/${path}`, { token: alice.token, body: bytes });
    expect(again.status).toBe(409);
    expect((await json(again)).errcode).toBe("M_CANNOT_OVERWRITE_MEDIA");
  });

  test("PUT to an id never created, another server's or a plain upload's is refused", async () => {
    const plain = await upload(alice, randomBytes(4));
    const unknown = await http("PUT", "/_matrix/media/v3/upload/test.local/AAAAAAAAAAAAAAAAAAAAAAAA", { token: alice.token, body: randomBytes(4) });
    expect(unknown.status).toBe(404);
    const remote = await http("PUT", `/_matrix/media/v3/upload/other.example/${plain.split("/")[1]}`, { token: alice.token, body: randomBytes(4) });
    expect(remote.status).toBe(404);
    const uploaded = await http("PUT", `/_matrix/media/v3/upload/${plain}`, { token: alice.token, body: randomBytes(4) });
    expect(uploaded.status).toBe(409);
  });

  test("max_pending_media_uploads gives 429 M_LIMIT_EXCEEDED; expired ids are 404 and free a slot", async () => {
    const carol = await server.register("carol");
    const first = (await json(await http("POST", "/_matrix/media/v1/create", { token: carol.token }))).content_uri.slice(6);
    expect((await http("POST", "/_matrix/media/v1/create", { token: carol.token })).status).toBe(200);
    const third = await http("POST", "/_matrix/media/v1/create", { token: carol.token });
    expect(third.status).toBe(429);
    expect((await json(third)).errcode).toBe("M_LIMIT_EXCEEDED");

    // Expire them: the media services read the test server's clock.
    server.clock.offset += 25 * 3_600_000;
    try {
      const late = await http("PUT", `/_matrix/media/v3/upload/${first}`, { token: carol.token, body: randomBytes(4) });
      expect(late.status).toBe(404);
      expect((await download(first, carol.token)).status).toBe(404);
      expect((await http("POST", "/_matrix/media/v1/create", { token: carol.token })).status).toBe(200);
    } finally {
      server.clock.offset -= 25 * 3_600_000;
    }
  });

  test("an oversized body to a created id is refused and the id stays usable", async () => {
    const path = (await json(await http("POST", "/_matrix/media/v1/create", { token: bob.token }))).content_uri.slice(6);
    const big = await http("PUT", `/_matrix/media/v3/upload/${path}`, { token: bob.token, body: randomBytes(2000) });
    expect(big.status).toBe(413);
    expect((await http("PUT", `/_matrix/media/v3/upload/${path}`, { token: bob.token, body: randomBytes(20) })).status).toBe(200);
  });

  test("a bad timeout_ms is 400 M_INVALID_PARAM", async () => {
    const path = await upload(alice, randomBytes(4));
    const res = await download(`${path}?timeout_ms=soon`, alice.token);
    expect(res.status).toBe(400);
    expect((await json(res)).errcode).toBe("M_INVALID_PARAM");
  });
});

describe("legacy unauthenticated endpoints (enable_authenticated_media)", () => {
  test("with it on (the default), media uploaded now is 404 on /_matrix/media/v3/download", async () => {
    const path = await upload(alice, randomBytes(8));
    for (const prefix of ["v3", "r0", "v1"]) {
      const res = await http("GET", `/_matrix/media/${prefix}/download/${path}`);
      expect(res.status).toBe(404);
      expect((await json(res)).errcode).toBe("M_NOT_FOUND");
    }
    expect((await download(path, alice.token)).status).toBe(200);
  });

  test("media uploaded while off stays on the legacy endpoints after turning it on; off serves all", async () => {
    const withSetting = (enabled: boolean) => {
      const config = testConfig({ SERVER_NAME: "test.local", MEDIA_STORE_PATH: store, ENABLE_AUTHENTICATED_MEDIA: String(enabled) });
      return createApp({ ...server.services, media: createMediaServices({ db: server.db.db, config, log: server.services.log }) }, ["client"]);
    };
    const off = withSetting(false);
    const res = await request(off, "POST", "/_matrix/media/v3/upload?filename=old.txt", { token: alice.token, body: "old", headers: { "Content-Type": "text/plain" } });
    const oldPath = (await json(res)).content_uri.slice(6);
    const newPath = await upload(alice, randomBytes(8));

    const legacyOld = await http("GET", `/_matrix/media/v3/download/${oldPath}`);
    expect(legacyOld.status).toBe(200);
    expect(await legacyOld.text()).toBe("old");
    expect(legacyOld.headers.get("content-disposition")).toBe("inline; filename=old.txt");
    expect((await http("GET", `/_matrix/media/v3/download/${newPath}`)).status).toBe(404);
    // Switched off again: everything is served unauthenticated.
    expect((await request(off, "GET", `/_matrix/media/v3/download/${newPath}`)).status).toBe(200);
    expect((await request(off, "GET", `/_matrix/media/r0/download/${oldPath}/other.txt`)).headers.get("content-disposition")).toBe("inline; filename=other.txt");
  });

  test("legacy /config still needs a token", async () => {
    expect((await http("GET", "/_matrix/media/v3/config")).status).toBe(401);
    expect(await json(await http("GET", "/_matrix/media/v3/config", { token: alice.token }))).toEqual({ "m.upload.size": 1024 });
  });

  test("preview_url is not served", async () => {
    const res = await http("GET", "/_matrix/media/v3/preview_url?url=https://example.org", { token: alice.token });
    expect(res.status).toBe(404);
    expect((await json(res)).errcode).toBe("M_UNRECOGNIZED");
  });
});

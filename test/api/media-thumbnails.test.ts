// Thumbnails through HTTP: sizes chosen as Synapse does, crop and scale dimensions, stored
// thumbnails, formats that get none, and refusals.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import jpeg from "jpeg-js";
import { PNG } from "pngjs";
import { createApp } from "../../src/app.ts";
import { createMediaServices } from "../../src/media/index.ts";
import { roomsTestServer, type RoomsTestServer, type Session } from "../helpers/rooms.ts";
import { json, testConfig } from "../helpers/services.ts";

let server: RoomsTestServer;
let alice: Session;
const store = mkdtempSync(join(tmpdir(), "myelin-thumbs-"));

beforeAll(async () => {
  server = await roomsTestServer({ MEDIA_STORE_PATH: store });
  alice = await server.register("alice");
});
afterAll(async () => {
  await server.close();
  rmSync(store, { recursive: true, force: true });
});

type App = { handle(r: Request, ip?: string): Promise<Response> };
const request = (app: App, method: string, path: string, body?: RequestInit["body"], contentType?: string) =>
  app.handle(
    new Request(`http://localhost${path}`, { method, body, headers: { Authorization: `Bearer ${alice.token}`, ...(contentType ? { "Content-Type": contentType } : {}) } }),
    "127.0.0.1",
  );

/** An RGBA test pattern: a gradient, so resampling has something to average. */
function pattern(width: number, height: number): Buffer {
  const data = Buffer.alloc(width * height * 4);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const p = (y * width + x) * 4;
      data[p] = (x * 255) / width;
      data[p + 1] = (y * 255) / height;
      data[p + 2] = 128;
      data[p + 3] = 255;
    }
  }
  return data;
}
function pngOf(width: number, height: number): Uint8Array {
  const png = new PNG({ width, height });
  png.data = pattern(width, height);
  return PNG.sync.write(png);
}
const jpegOf = (width: number, height: number): Uint8Array => jpeg.encode({ width, height, data: pattern(width, height) }, 90).data;

async function upload(bytes: Uint8Array, contentType: string, app: App = server.app): Promise<string> {
  const res = await request(app, "POST", "/_matrix/media/v3/upload", bytes, contentType);
  expect(res.status).toBe(200);
  return ((await json(res)) as { content_uri: string }).content_uri.slice("mxc://".length);
}
const thumbnail = (path: string, query: string, app: App = server.app) => request(app, "GET", `/_matrix/client/v1/media/thumbnail/${path}?${query}`);

/** The served image's type and dimensions, decoded. */
async function served(res: Response): Promise<{ type: string | null; width: number; height: number; bytes: Uint8Array }> {
  expect(res.status).toBe(200);
  const bytes = new Uint8Array(await res.arrayBuffer());
  const type = res.headers.get("content-type");
  const image = type === "image/png" ? PNG.sync.read(Buffer.from(bytes)) : jpeg.decode(bytes, { useTArray: true });
  return { type, width: image.width, height: image.height, bytes };
}

let wide: string;
let tall: string;
beforeAll(async () => {
  wide = await upload(pngOf(400, 200), "image/png");
  tall = await upload(jpegOf(300, 600), "image/jpeg");
});

describe("thumbnail sizes (dynamic_thumbnails off)", () => {
  test("crop gives the configured crop size: PNG stays PNG, JPEG stays JPEG", async () => {
    expect(await served(await thumbnail(wide, "width=32&height=32&method=crop"))).toMatchObject({ type: "image/png", width: 32, height: 32 });
    expect(await served(await thumbnail(wide, "width=90&height=90&method=crop"))).toMatchObject({ type: "image/png", width: 96, height: 96 });
    expect(await served(await thumbnail(tall, "width=20&height=20&method=crop"))).toMatchObject({ type: "image/jpeg", width: 32, height: 32 });
  });

  test("scale keeps the aspect and picks the smallest size at least as large as asked", async () => {
    // 320x240 fitted to 400x200 is 320x160.
    expect(await served(await thumbnail(wide, "width=100&height=100&method=scale"))).toMatchObject({ width: 320, height: 160 });
    // 320x240 fitted to 300x600 is 120x240.
    expect(await served(await thumbnail(tall, "width=100&height=200"))).toMatchObject({ type: "image/jpeg", width: 120, height: 240 });
  });

  test("when the image is no larger than the chosen size, the original is served", async () => {
    const res = await thumbnail(wide, "width=700&height=500&method=scale");
    const original = await (await request(server.app, "GET", `/_matrix/client/v1/media/download/${wide}`)).arrayBuffer();
    expect((await served(res)).bytes).toEqual(new Uint8Array(original));
  });

  test("thumbnail headers: inline with a file name, CSP and CORP", async () => {
    const res = await thumbnail(wide, "width=32&height=32&method=crop");
    expect(res.headers.get("content-disposition")).toBe("inline; filename=thumbnail.png");
    expect(res.headers.get("cross-origin-resource-policy")).toBe("cross-origin");
    expect(res.headers.get("content-security-policy")).toStartWith("sandbox;");
  });

  test("a thumbnail is made once and stored; a burst of requests decodes once and all get it", async () => {
    const path = await upload(pngOf(500, 500), "image/png");
    const results = await Promise.all(Array.from({ length: 8 }, () => thumbnail(path, "width=96&height=96&method=crop")));
    const bodies = await Promise.all(results.map(async (res) => (await served(res)).bytes));
    for (const body of bodies) expect(body).toEqual(bodies[0]!);
    const rows = [...await server.db.sql`SELECT width, height, method, content_type FROM local_media_thumbnails WHERE media_id = ${path.split("/")[1]!}`];
    expect(rows).toEqual([{ width: 96, height: 96, method: "crop", content_type: "image/png" }]);
    expect((await served(await thumbnail(path, "width=96&height=96&method=crop"))).bytes).toEqual(bodies[0]!);
  });
});

describe("refusals", () => {
  test("formats other than JPEG and PNG get 400 M_UNKNOWN", async () => {
    const gif = await upload(new TextEncoder().encode("GIF89a\x01\x00\x01\x00"), "image/gif");
    const res = await thumbnail(gif, "width=32&height=32");
    expect(res.status).toBe(400);
    expect((await json(res)).errcode).toBe("M_UNKNOWN");
  });

  test("corrupt images are an error, not a crash", async () => {
    const garbage = await upload(crypto.getRandomValues(new Uint8Array(300)), "image/png");
    const truncated = await upload(pngOf(200, 200).slice(0, 60), "image/png");
    const badJpeg = await upload(jpegOf(200, 200).map((byte, i) => (i > 700 ? (byte * 7) & 0xff : byte)), "image/jpeg");
    for (const path of [garbage, truncated, badJpeg]) {
      const res = await thumbnail(path, "width=32&height=32&method=crop");
      expect([res.status, (await json(res)).errcode]).toEqual([400, "M_UNKNOWN"]);
    }
    // The server still answers.
    expect((await thumbnail(wide, "width=32&height=32&method=crop")).status).toBe(200);
  });

  test.each([
    ["width=0&height=32", "M_INVALID_PARAM"],
    ["width=-1&height=32", "M_INVALID_PARAM"],
    ["width=abc&height=32", "M_INVALID_PARAM"],
    ["width=32.5&height=32", "M_INVALID_PARAM"],
    ["width=32&height=32&method=stretch", "M_INVALID_PARAM"],
    ["width=32&height=32&animated=maybe", "M_INVALID_PARAM"],
    ["width=32", "M_MISSING_PARAM"],
  ])("%s is 400 %s", async (query, errcode) => {
    const res = await thumbnail(wide, query);
    expect([res.status, (await json(res)).errcode]).toEqual([400, errcode]);
  });

  test("unknown media is 404; the legacy endpoint is frozen for media uploaded now", async () => {
    expect((await thumbnail("test.local/AAAAAAAAAAAAAAAAAAAAAAAA", "width=32&height=32")).status).toBe(404);
    const legacy = await server.app.handle(new Request(`http://localhost/_matrix/media/v3/thumbnail/${wide}?width=32&height=32`));
    expect(legacy.status).toBe(404);
  });

  test("animated=true on a still image behaves as false", async () => {
    expect(await served(await thumbnail(wide, "width=32&height=32&method=crop&animated=true"))).toMatchObject({ width: 32, height: 32 });
  });
});

describe("other settings", () => {
  const appWith = (overrides: Record<string, string>) => {
    const config = testConfig({ SERVER_NAME: "test.local", MEDIA_STORE_PATH: store, ...overrides });
    return createApp({ ...server.services, media: createMediaServices({ db: server.db.db, config, log: server.services.log }) }, ["client"]);
  };

  test("images over max_image_pixels get 413 M_TOO_LARGE", async () => {
    const app = appWith({ MAX_IMAGE_PIXELS: "10000" });
    const path = await upload(pngOf(200, 200), "image/png", app);
    const res = await thumbnail(path, "width=32&height=32", app);
    expect([res.status, (await json(res)).errcode]).toEqual([413, "M_TOO_LARGE"]);
  });

  test("dynamic_thumbnails makes the exact size asked for", async () => {
    const app = appWith({ DYNAMIC_THUMBNAILS: "true" });
    expect(await served(await thumbnail(wide, "width=50&height=70&method=crop", app))).toMatchObject({ width: 50, height: 70 });
    expect(await served(await thumbnail(wide, "width=100&height=100&method=scale", app))).toMatchObject({ width: 100, height: 50 });
  });

  test("unauthenticated legacy thumbnails work with enable_authenticated_media off", async () => {
    const app = appWith({ ENABLE_AUTHENTICATED_MEDIA: "false" });
    const path = await upload(pngOf(100, 100), "image/png", app);
    const res = await app.handle(new Request(`http://localhost/_matrix/media/v3/thumbnail/${path}?width=32&height=32&method=crop`));
    expect(await served(res)).toMatchObject({ width: 32, height: 32 });
  });
});

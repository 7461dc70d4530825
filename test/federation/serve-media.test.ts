// End to end over HTTPS: Alice on A downloads Bob on B's upload and a thumbnail of it through A;
// B serves its media to other servers as multipart/mixed; A keeps what it fetched and serves it
// again with B gone.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { PNG } from "pngjs";
import { federationClientFromConfig } from "../../src/federation/client.ts";
import type { FederationMediaClient } from "../../src/federation/media-client.ts";
import { parseMediaMultipart } from "../../src/protocol/multipart.ts";
import { nativeEd25519 } from "../../src/protocol/ed25519.ts";
import { federatedHomeserver, type FederatedHomeserver } from "../helpers/federation.ts";

let a: FederatedHomeserver;
let b: FederatedHomeserver;
let bStopped = false;
let alice: { userId: string; token: string };
let bob: { userId: string; token: string };
/** A's signed requests with the raw answer (what A's media fetches use). */
let fromA: FederationMediaClient;
let image: Uint8Array;
let mediaId: string;
const UNREACHABLE = "127.0.0.1:1";
const v1 = "/_matrix/client/v1/media";

/** A request to a server's own HTTPS listener (it serves the client and federation resources). */
const https = (server: FederatedHomeserver, path: string, init: { token?: string; method?: string; body?: Uint8Array; type?: string } = {}) =>
  fetch(`https://${server.serverName}${path}`, {
    method: init.method ?? "GET", body: init.body,
    headers: { ...(init.token ? { Authorization: `Bearer ${init.token}` } : {}), ...(init.type ? { "Content-Type": init.type } : {}) },
    tls: { rejectUnauthorized: false },
  } as RequestInit);
const signedGet = (path: string, query: Record<string, string> = {}) => fromA.signedGet(b.serverName, path, { query, maxBytes: 10_000_000, timeoutMs: 20_000 });
const errcodeOf = async (response: Response) => ((await response.json()) as { errcode?: string }).errcode;

function pngOf(width: number, height: number): Uint8Array {
  const png = new PNG({ width, height });
  for (let i = 0; i < png.data.length; i += 4) png.data.set([i % 251, (i / 4) % 256, 128, 255], i);
  return PNG.sync.write(png);
}

beforeAll(async () => {
  [a, b] = await Promise.all([federatedHomeserver(), federatedHomeserver()]);
  alice = await a.register("alice");
  bob = await b.register("bob");
  fromA = federationClientFromConfig({ config: a.config, signingKey: a.signingKey, ed25519: nativeEd25519 }).media;
  image = pngOf(320, 240);
  const uploaded = await https(b, "/_matrix/media/v3/upload?filename=cat.png", { method: "POST", token: bob.token, body: image, type: "image/png" });
  expect(uploaded.status).toBe(200);
  const uri = ((await uploaded.json()) as { content_uri: string }).content_uri;
  expect(uri.startsWith(`mxc://${b.serverName}/`)).toBe(true);
  mediaId = uri.slice(`mxc://${b.serverName}/`.length);
}, 60_000);
afterAll(async () => {
  await a?.stop();
  if (!bStopped) await b?.stop();
});

describe("B serves its media to other servers", () => {
  test("download: multipart/mixed, {} metadata, then the bytes with their type and name", async () => {
    const answer = await signedGet(`/_matrix/federation/v1/media/download/${mediaId}`);
    expect(answer.status).toBe(200);
    expect(answer.headers.get("content-type")).toMatch(/^multipart\/mixed; boundary=/);
    const part = parseMediaMultipart(answer.headers.get("content-type"), answer.body!);
    expect(part.metadata).toEqual({});
    expect(part.headers.get("content-type")).toBe("image/png");
    expect(part.headers.get("content-disposition")).toBe("inline; filename=cat.png");
    expect(Buffer.from(part.body).equals(Buffer.from(image))).toBe(true);
  });

  test("thumbnail: a PNG of the configured size in the second part", async () => {
    const answer = await signedGet(`/_matrix/federation/v1/media/thumbnail/${mediaId}`, { width: "32", height: "32", method: "crop" });
    expect(answer.status).toBe(200);
    const part = parseMediaMultipart(answer.headers.get("content-type"), answer.body!);
    expect(part.headers.get("content-type")).toBe("image/png");
    const thumbnail = PNG.sync.read(Buffer.from(part.body));
    expect([thumbnail.width, thumbnail.height]).toEqual([32, 32]);
  });

  test("unknown media is 404, bad thumbnail parameters 400, unsigned requests 401", async () => {
    const unknown = await signedGet("/_matrix/federation/v1/media/download/NoSuchMediaIdAtAllXXXXXXXX");
    expect(unknown.status).toBe(404);
    const badSize = await signedGet(`/_matrix/federation/v1/media/thumbnail/${mediaId}`, { width: "x", height: "32" });
    expect(badSize.status).toBe(400);
    const unsigned = await https(b, `/_matrix/federation/v1/media/download/${mediaId}`);
    expect(unsigned.status).toBe(401);
    expect(await errcodeOf(unsigned)).toBe("M_UNAUTHORIZED");
  });
});

describe("Alice fetches Bob's media through A", () => {
  test("download through A gives Bob's bytes, type and name", async () => {
    const response = await https(a, `${v1}/download/${b.serverName}/${mediaId}`, { token: alice.token });
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toBe("image/png");
    expect(response.headers.get("content-disposition")).toBe("inline; filename=cat.png");
    expect(Buffer.from(await response.arrayBuffer()).equals(Buffer.from(image))).toBe(true);
  });

  test("concurrent requests for new media share one fetch and all succeed", async () => {
    const second = pngOf(64, 64);
    const uploaded = await https(b, "/_matrix/media/v3/upload", { method: "POST", token: bob.token, body: second, type: "image/png" });
    const id = ((await uploaded.json()) as { content_uri: string }).content_uri.split("/").pop();
    const responses = await Promise.all([1, 2, 3].map(() => https(a, `${v1}/download/${b.serverName}/${id}`, { token: alice.token })));
    for (const response of responses) expect(Buffer.from(await response.arrayBuffer()).equals(Buffer.from(second))).toBe(true);
  });

  test("a thumbnail through A comes from B's thumbnail endpoint", async () => {
    const response = await https(a, `${v1}/thumbnail/${b.serverName}/${mediaId}?width=32&height=32&method=crop`, { token: alice.token });
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toBe("image/png");
    const thumbnail = PNG.sync.read(Buffer.from(await response.arrayBuffer()));
    expect([thumbnail.width, thumbnail.height]).toEqual([32, 32]);
  });

  test("unknown media of B is 404; an unreachable server is 502; no token is 401", async () => {
    const unknown = await https(a, `${v1}/download/${b.serverName}/NoSuchMedia`, { token: alice.token });
    expect([unknown.status, await errcodeOf(unknown)]).toEqual([404, "M_NOT_FOUND"]);
    const badId = await https(a, `${v1}/download/${b.serverName}/not..an.id`, { token: alice.token });
    expect(badId.status).toBe(404);
    const unreachable = await https(a, `${v1}/download/${UNREACHABLE}/SomeMedia`, { token: alice.token });
    expect([unreachable.status, await errcodeOf(unreachable)]).toEqual([502, "M_UNKNOWN"]);
    const anonymous = await https(a, `${v1}/download/${b.serverName}/${mediaId}`);
    expect(anonymous.status).toBe(401);
  });

  test("the legacy unauthenticated endpoint fetches nothing while authenticated media is on", async () => {
    const legacy = await https(a, `/_matrix/media/v3/download/${b.serverName}/${mediaId}`);
    expect(legacy.status).toBe(404);
  });

  test("with B stopped, A serves the download and the thumbnail from its cache", async () => {
    await b.stop();
    bStopped = true;
    const download = await https(a, `${v1}/download/${b.serverName}/${mediaId}`, { token: alice.token });
    expect(download.status).toBe(200);
    expect(Buffer.from(await download.arrayBuffer()).equals(Buffer.from(image))).toBe(true);
    const thumbnail = await https(a, `${v1}/thumbnail/${b.serverName}/${mediaId}?width=32&height=32&method=crop`, { token: alice.token });
    expect(thumbnail.status).toBe(200);
    // A size not asked before needs B: now unreachable.
    const other = await https(a, `${v1}/thumbnail/${b.serverName}/${mediaId}?width=96&height=96&method=crop`, { token: alice.token });
    expect([other.status, await errcodeOf(other)]).toEqual([502, "M_UNKNOWN"]);
  });
});

// The foundation's endpoints through app.handle: versions, well-known, server keys, federation version.
import { describe, expect, test } from "bun:test";
import { createApp } from "../../src/app.ts";
import { decodeBase64 } from "../../src/protocol/base64.ts";
import { nobleEd25519 } from "../../src/protocol/ed25519.ts";
import { verifyJsonSignature } from "../../src/protocol/signed-json.ts";
import { get, json, testServices } from "../helpers/services.ts";

const both = ["client", "federation"] as const;

describe("GET /_matrix/client/versions", () => {
  test("lists v1.x spec versions and no unimplemented unstable features", async () => {
    const res = await createApp(testServices(), both).handle(get("/_matrix/client/versions"));
    expect(res.status).toBe(200);
    const body = await json(res);
    expect(body.versions).toContain("v1.1");
    expect(body.versions.every((v: string) => /^v1\.\d+$/.test(v))).toBe(true);
    expect(body.unstable_features).toEqual({});
  });
  test("is not served on a federation-only listener", async () => {
    const res = await createApp(testServices(), ["federation"]).handle(get("/_matrix/client/versions"));
    expect(res.status).toBe(404);
  });
});

describe("GET /_matrix/key/v2/server", () => {
  test("publishes the key, signed, verifiable by an independent Ed25519", async () => {
    const services = testServices({ SERVER_NAME: "example.org", KEY_REFRESH_INTERVAL: "2h" });
    const before = Date.now();
    const res = await createApp(services, ["keys"]).handle(get("/_matrix/key/v2/server"));
    expect(res.status).toBe(200);
    const body = await json(res);
    const keyId = services.serverKeys.signingKey.keyId;
    expect(keyId).toMatch(/^ed25519:[A-Za-z0-9_]+$/);
    expect(body.server_name).toBe("example.org");
    expect(Object.keys(body.verify_keys)).toEqual([keyId]);
    expect(body.old_verify_keys).toEqual({});
    expect(body.valid_until_ts).toBeGreaterThanOrEqual(before + 2 * 3600_000);
    expect(body.valid_until_ts).toBeLessThanOrEqual(Date.now() + 2 * 3600_000);
    const publicKey = decodeBase64(body.verify_keys[keyId].key)!;
    expect(verifyJsonSignature(body, "example.org", keyId, publicKey, nobleEd25519)).toEqual({ ok: true });
    expect(verifyJsonSignature({ ...body, valid_until_ts: 1 }, "example.org", keyId, publicKey, nobleEd25519).ok).toBe(false);
  });
  test("publishes old keys from config", async () => {
    const old = { "ed25519:old1": { key: "VGhpcyBzaG91bGQgYmUgeW91ciBvbGQga2V5J3MgZWQyNTUxOSBwYXlsb2FkLg", expired_ts: 1532645052628 } };
    const services = testServices({ OLD_SIGNING_KEYS: JSON.stringify(old) });
    const body = await json(await createApp(services, ["federation"]).handle(get("/_matrix/key/v2/server")));
    expect(body.old_verify_keys).toEqual(old);
  });
});

describe("GET /_matrix/federation/v1/version", () => {
  test("names the software", async () => {
    const body = await json(await createApp(testServices(), ["federation"]).handle(get("/_matrix/federation/v1/version")));
    expect(body).toEqual({ server: { name: "Myelin", version: "test" } });
  });
});

describe("well-known", () => {
  test("client file needs public_baseurl, then carries it and the extra content", async () => {
    const none = await createApp(testServices(), both).handle(get("/.well-known/matrix/client"));
    expect(none.status).toBe(404);
    expect((await json(none)).errcode).toBe("M_NOT_FOUND");
    const services = testServices({ PUBLIC_BASEURL: "https://matrix.example.org", EXTRA_WELL_KNOWN_CLIENT_CONTENT: '{"org.example.x": {"a": 1}}' });
    const res = await createApp(services, both).handle(get("/.well-known/matrix/client"));
    expect(await json(res)).toEqual({ "m.homeserver": { base_url: "https://matrix.example.org/" }, "org.example.x": { a: 1 } });
    expect(res.headers.get("access-control-allow-origin")).toBe("*");
  });
  test("server file only with serve_server_wellknown, pointing at public_baseurl's host and port", async () => {
    expect((await createApp(testServices(), both).handle(get("/.well-known/matrix/server"))).status).toBe(404);
    const on = testServices({ SERVE_SERVER_WELLKNOWN: "true", PUBLIC_BASEURL: "https://matrix.example.org/" });
    expect(await json(await createApp(on, both).handle(get("/.well-known/matrix/server")))).toEqual({ "m.server": "matrix.example.org:443" });
    const port = testServices({ SERVE_SERVER_WELLKNOWN: "true", PUBLIC_BASEURL: "https://m.example.org:8448/" });
    expect(await json(await createApp(port, both).handle(get("/.well-known/matrix/server")))).toEqual({ "m.server": "m.example.org:8448" });
  });
});

test("GET /health answers OK on every listener", async () => {
  for (const resources of [["client"], ["federation"], ["health"]] as const) {
    const res = await createApp(testServices(), resources).handle(get("/health"));
    expect(await res.text()).toBe("OK");
  }
});

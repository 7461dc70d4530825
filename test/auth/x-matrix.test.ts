// X-Matrix: the header parser against hostile input, and the 'server' auth resolver through a
// router (each refusal with Synapse's status and errcode).
import { describe, expect, test } from "bun:test";
import { Type as T } from "@sinclair/typebox";
import { generateSigningKey } from "../../src/auth/signing-key.ts";
import { parseXMatrix, xMatrixAuthorization, xMatrixResolver } from "../../src/auth/x-matrix.ts";
import { endpoint } from "../../src/http/endpoint.ts";
import { RateLimiter } from "../../src/http/rate-limit.ts";
import { createRouter } from "../../src/http/router.ts";
import { silentLogger } from "../../src/log/logger.ts";
import { nativeEd25519 } from "../../src/protocol/ed25519.ts";

describe("parseXMatrix", () => {
  const sig = "a+b/c";
  test("the spec's form, quoted", () => {
    expect(parseXMatrix(`X-Matrix origin="origin.example",destination="dest.example",key="ed25519:key1",sig="${sig}"`)).toEqual([
      { origin: "origin.example", destination: "dest.example", key: "ed25519:key1", sig },
    ]);
  });
  test("unquoted values with colons, any order, case-insensitive names, spaces and tabs around commas", () => {
    expect(parseXMatrix(`x-matrix   SIG=${sig} ,\tKey=ed25519:k , Origin=origin.example:8448`)).toEqual([
      { origin: "origin.example:8448", destination: null, key: "ed25519:k", sig },
    ]);
  });
  test("backslash escapes are undone; unknown parameters are ignored", () => {
    expect(parseXMatrix(`X-Matrix origin="origin.example",key="ed25519:\\k\\"",sig="x",extra="a,b=c"`)).toEqual([
      { origin: "origin.example", destination: null, key: 'ed25519:k"', sig: "x" },
    ]);
  });
  test("several credentials joined by commas (two headers)", () => {
    const header = `X-Matrix origin=a.example,key="ed25519:1",sig="s1", X-Matrix origin=a.example,key="ed25519:2",sig="s2"`;
    expect(parseXMatrix(header)?.map((credential) => credential.key)).toEqual(["ed25519:1", "ed25519:2"]);
  });
  test("another scheme holds no credentials", () => {
    expect(parseXMatrix("Bearer abc")).toEqual([]);
    expect(parseXMatrix("X-Matrixorigin=a")).toEqual([]);
  });
  const hostile = {
    "no parameters": "X-Matrix ",
    "missing sig": `X-Matrix origin="a.example",key="ed25519:k"`,
    "missing origin": `X-Matrix key="ed25519:k",sig="s"`,
    "invalid origin": `X-Matrix origin="a b",key="ed25519:k",sig="s"`,
    "origin with a path": `X-Matrix origin="a.example/x",key="ed25519:k",sig="s"`,
    "unterminated quote": `X-Matrix origin="a.example,key="ed25519:k",sig="s`,
    "duplicate parameter": `X-Matrix origin=a.example,origin=b.example,key=ed25519:k,sig=s`,
    "no comma between parameters": `X-Matrix origin=a.example key=ed25519:k,sig=s`,
    "a control character": `X-Matrix origin="a.example\u0001",key="ed25519:k",sig="s"`,
    "a parameter without value": `X-Matrix origin=,key=ed25519:k,sig=s`,
    "garbage after a credential": `X-Matrix origin=a.example,key=ed25519:k,sig=s, Bearer x`,
    "a name that is not a token": `X-Matrix (origin)=a.example,key=ed25519:k,sig=s`,
    "too many credentials": Array.from({ length: 9 }, () => `X-Matrix origin=a.example,key=ed25519:k,sig=s`).join(", "),
  };
  for (const [name, header] of Object.entries(hostile)) {
    test(`malformed: ${name}`, () => expect(parseXMatrix(header)).toBeNull());
  }
});

describe("the 'server' auth resolver", () => {
  const originKey = generateSigningKey(nativeEd25519);
  const otherKey = generateSigningKey(nativeEd25519);
  let keySourceFails = false;
  const keys = {
    verifyKey: async (server: string, keyId: string) => {
      if (keySourceFails) throw new Error("network down");
      return server === "origin.example" && keyId === originKey.keyId ? originKey.publicKey : null;
    },
  };
  const app = createRouter({
    endpoints: [
      endpoint({ method: "GET", paths: ["/_matrix/federation/v1/test"], auth: "server", spec: "test", handler: ({ requester }) => requester }),
      endpoint({ method: "PUT", paths: ["/_matrix/federation/v1/test/:id"], auth: "server", body: T.Object({ n: T.Integer() }), spec: "test", handler: ({ requester, body }) => ({ requester, body }) }),
    ],
    log: silentLogger, maxBodySize: 10_000, rateLimiter: new RateLimiter(), rateLimits: {}, trustForwardedFor: false,
    auth: { server: xMatrixResolver({ serverName: "dest.example", keys, ed25519: nativeEd25519 }) },
  });
  const sign = (method: string, uri: string, content?: unknown, options: { destination?: string; key?: typeof originKey; origin?: string } = {}) =>
    xMatrixAuthorization({ method, uri, origin: options.origin ?? "origin.example", destination: options.destination ?? "dest.example", content }, options.key ?? originKey, nativeEd25519);
  const send = async (method: string, uri: string, authorization: string | null, body?: string) => {
    const headers: Record<string, string> = authorization === null ? {} : { Authorization: authorization };
    const response = await app.handle(new Request(`http://dest.example${uri}`, { method, headers, body }));
    return { status: response.status, body: (await response.json()) as Record<string, unknown> };
  };
  const refused = (status: number) => ({ status, body: expect.objectContaining({ errcode: "M_UNAUTHORIZED" }) });
  const uri = "/_matrix/federation/v1/test?a=1&b=%20x";

  test("a signed GET resolves to its origin, the query as received", async () => {
    expect(await send("GET", uri, sign("GET", uri))).toEqual({ status: 200, body: { kind: "server", origin: "origin.example" } });
  });
  test("a signed PUT: the signature covers the body, which the handler still gets", async () => {
    const path = "/_matrix/federation/v1/test/1";
    expect(await send("PUT", path, sign("PUT", path, { n: 1 }), `{"n": 1}`)).toEqual({ status: 200, body: { requester: { kind: "server", origin: "origin.example" }, body: { n: 1 } } });
    expect(await send("PUT", path, sign("PUT", path, { n: 1 }), `{"n": 2}`)).toEqual(refused(401));
    expect(await send("PUT", path, sign("PUT", path, { n: 1 }), "not json")).toEqual({ status: 400, body: expect.objectContaining({ errcode: "M_NOT_JSON" }) });
  });
  test("a changed method, path or query breaks the signature", async () => {
    expect(await send("GET", "/_matrix/federation/v1/test?a=2&b=%20x", sign("GET", uri))).toEqual(refused(401));
    expect(await send("GET", "/_matrix/federation/v1/test?b=%20x&a=1", sign("GET", uri))).toEqual(refused(401));
    expect(await send("GET", uri, sign("PUT", uri))).toEqual(refused(401));
  });
  test("no header: 401 M_UNAUTHORIZED; a malformed one: 400 M_UNAUTHORIZED", async () => {
    expect(await send("GET", uri, null)).toEqual(refused(401));
    expect(await send("GET", uri, "Bearer abc")).toEqual(refused(401));
    expect(await send("GET", uri, `X-Matrix origin="origin.example",key="ed25519:x"`)).toEqual(refused(400));
  });
  test("another destination: 401; none (older servers): accepted", async () => {
    expect(await send("GET", uri, sign("GET", uri, undefined, { destination: "elsewhere.example" }))).toEqual(refused(401));
    const withoutDestination = sign("GET", uri).replace(/destination="[^"]*",/, "");
    expect(await send("GET", uri, withoutDestination)).toEqual({ status: 200, body: { kind: "server", origin: "origin.example" } });
  });
  test("an unknown key, another key, a failing key source or a forged origin: 401", async () => {
    const unknownKeyId = sign("GET", uri).replace(originKey.keyId, "ed25519:unknown");
    expect(await send("GET", uri, unknownKeyId)).toEqual(refused(401));
    const otherSignature = sign("GET", uri, undefined, { key: { ...otherKey, keyId: originKey.keyId } });
    expect(await send("GET", uri, otherSignature)).toEqual(refused(401));
    expect(await send("GET", uri, sign("GET", uri, undefined, { origin: "forger.example" }))).toEqual(refused(401));
    keySourceFails = true;
    try {
      expect(await send("GET", uri, sign("GET", uri))).toEqual(refused(401));
    } finally {
      keySourceFails = false;
    }
  });
  test("two headers (key rotation): one unknown key and one valid signature pass; two origins are malformed", async () => {
    const unknown = sign("GET", uri, undefined, { key: { ...otherKey, keyId: "ed25519:new" } });
    expect(await send("GET", uri, `${unknown}, ${sign("GET", uri)}`)).toEqual({ status: 200, body: { kind: "server", origin: "origin.example" } });
    expect(await send("GET", uri, `${sign("GET", uri)}, ${sign("GET", uri, undefined, { origin: "forger.example" })}`)).toEqual(refused(400));
  });
});

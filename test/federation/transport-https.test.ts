// Two (and more) Myelin servers in this process talking over real HTTPS on 127.0.0.1: signed
// requests, X-Matrix checked by the receiver with the sender's published key, and the
// client's refusals (IP policy, certificates, timeout, size, non-JSON, redirects).
import { afterAll, beforeAll, expect, test } from "bun:test";
import { Type as T } from "@sinclair/typebox";
import { endpoint, reply } from "../../src/http/endpoint.ts";
import { FederationRequestError } from "../../src/federation/transport.ts";
import { federationTestServer, TEST_ENDPOINT_PREFIX, type FederationTestServer } from "../helpers/federation.ts";

const seen: { origin: string; body: unknown; query: unknown }[] = [];
const testEndpoints = [
  endpoint({
    method: "PUT",
    paths: [`${TEST_ENDPOINT_PREFIX}echo/:thing`],
    auth: "server",
    body: T.Object({ n: T.Integer() }, { additionalProperties: true }),
    spec: "test only",
    handler: ({ requester, body, searchParams, params }) => {
      const origin = requester.kind === "server" ? requester.origin : "?";
      seen.push({ origin, body, query: searchParams.getAll("v") });
      return { origin, thing: params.thing, body };
    },
  }),
  endpoint({ method: "GET", paths: [`${TEST_ENDPOINT_PREFIX}whoami`], auth: "server", spec: "test only", handler: ({ requester }) => requester }),
  endpoint({ method: "GET", paths: [`${TEST_ENDPOINT_PREFIX}slow`], auth: "none", spec: "test only", handler: () => Bun.sleep(2000).then(() => ({})) }),
  endpoint({ method: "GET", paths: [`${TEST_ENDPOINT_PREFIX}big`], auth: "none", spec: "test only", handler: () => ({ filler: "x".repeat(300_000) }) }),
  endpoint({ method: "GET", paths: [`${TEST_ENDPOINT_PREFIX}text`], auth: "none", spec: "test only", handler: () => new Response("hello", { headers: { "content-type": "text/plain" } }) }),
  endpoint({ method: "GET", paths: [`${TEST_ENDPOINT_PREFIX}redirect`], auth: "none", spec: "test only", handler: () => reply(302, {}, { Location: "/_matrix/federation/v1/version" }) }),
  endpoint({ method: "GET", paths: [`${TEST_ENDPOINT_PREFIX}teapot`], auth: "none", spec: "test only", handler: () => reply(418, { errcode: "M_TEAPOT", error: "short and stout" }) }),
];

let a: FederationTestServer;
let b: FederationTestServer;
beforeAll(async () => {
  a = await federationTestServer();
  b = await federationTestServer({ testEndpoints });
});
afterAll(async () => {
  await a?.stop();
  await b?.stop();
});

const failure = async (promise: Promise<unknown>): Promise<FederationRequestError> => {
  try {
    await promise;
  } catch (error) {
    if (error instanceof FederationRequestError) return error;
    throw error;
  }
  throw new Error("the request succeeded");
};

test("A reads B's federation version with a signed request", async () => {
  const version = await a.federation.signed<{ server: { name: string } }>(b.serverName, { method: "GET", path: "/_matrix/federation/v1/version" });
  expect(version.server.name).toBeString();
});

test("B's 'server' endpoint sees origin A, with the body and repeated query values", async () => {
  const answer = await a.federation.signed<{ origin: string; thing: string }>(b.serverName, {
    method: "PUT", path: `${TEST_ENDPOINT_PREFIX}echo/${encodeURIComponent("a b/c")}`, query: { v: ["1", "x'y z"] }, body: { n: 7, text: "é" },
  });
  expect(answer).toEqual({ origin: a.serverName, thing: "a b/c", body: { n: 7, text: "é" } } as never);
  expect(seen.at(-1)).toEqual({ origin: a.serverName, body: { n: 7, text: "é" }, query: ["1", "x'y z"] });
  expect(await a.federation.signed(b.serverName, { method: "GET", path: `${TEST_ENDPOINT_PREFIX}whoami` })).toEqual({ kind: "server", origin: a.serverName });
});

test("B refuses an unsigned call of a 'server' endpoint with 401 M_UNAUTHORIZED", async () => {
  const error = await failure(a.federation.unsigned(b.serverName, `${TEST_ENDPOINT_PREFIX}whoami`));
  expect([error.status, error.errcode]).toEqual([401, "M_UNAUTHORIZED"]);
});

test("a remote error keeps its status, errcode and body", async () => {
  const error = await failure(a.federation.unsigned(b.serverName, `${TEST_ENDPOINT_PREFIX}teapot`));
  expect([error.status, error.errcode, error.destination]).toEqual([418, "M_TEAPOT", b.serverName]);
  expect(error.body).toEqual({ errcode: "M_TEAPOT", error: "short and stout" });
});

test("redirects are not followed", async () => {
  const error = await failure(a.federation.unsigned(b.serverName, `${TEST_ENDPOINT_PREFIX}redirect`));
  expect(error.status).toBe(302);
});

test("a non-JSON answer is refused", async () => {
  const error = await failure(a.federation.unsigned(b.serverName, `${TEST_ENDPOINT_PREFIX}text`));
  expect(error.message).toContain("JSON");
});

test("a slow answer times out", async () => {
  const started = Date.now();
  const error = await failure(a.federation.signed(b.serverName, { method: "GET", path: `${TEST_ENDPOINT_PREFIX}slow`, timeoutMs: 300 }));
  expect(error.message).toContain("within 300 ms");
  expect(Date.now() - started).toBeLessThan(1500);
});

test("127.0.0.1 is refused by the default ip_range_blacklist", async () => {
  const strict = await federationTestServer({ config: { ip_range_whitelist: [] } });
  try {
    const error = await failure(strict.federation.signed(b.serverName, { method: "GET", path: "/_matrix/federation/v1/version" }));
    expect(error.message).toContain("ip_range_blacklist");
    expect(error.status).toBeUndefined();
  } finally {
    await strict.stop();
  }
});

test("with federation_verify_certificates, a self-signed certificate is refused", async () => {
  const checking = await federationTestServer({ config: { federation_verify_certificates: true } });
  try {
    const error = await failure(checking.federation.unsigned(b.serverName, "/_matrix/federation/v1/version"));
    expect(error.message).toMatch(/cert|SELF_SIGNED/i);
  } finally {
    await checking.stop();
  }
});

test("a response over the size limit is refused", async () => {
  // The default cap is far above 300 KB: the answer is read.
  expect(await a.federation.unsigned<{ filler: string }>(b.serverName, `${TEST_ENDPOINT_PREFIX}big`)).toHaveProperty("filler");
  const small = await federationTestServer({ maxResponseBytes: 100_000 });
  try {
    const error = await failure(small.federation.unsigned(b.serverName, `${TEST_ENDPOINT_PREFIX}big`));
    expect(error.message).toContain("exceeds 100000 bytes");
  } finally {
    await small.stop();
  }
});

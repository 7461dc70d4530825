// The federation client with fake DNS and fake HTTPS: signing round trip, backoff, timeout,
// size cap, IP policy and address fallback. (Real HTTPS: transport-https.test.ts.)
import { describe, expect, test } from "bun:test";
import { generateSigningKey } from "../../src/auth/signing-key.ts";
import { xMatrixResolver } from "../../src/auth/x-matrix.ts";
import { BACKOFF_MAX_DESTINATIONS, createDestinationBackoff } from "../../src/federation/backoff.ts";
import { createFederationClient, requestTarget } from "../../src/federation/client.ts";
import { createOutboundHttps, type HttpsRequest } from "../../src/federation/outbound-https.ts";
import type { FetchedAnswer, ResolvedServer } from "../../src/federation/resolve.ts";
import { FederationRequestError } from "../../src/federation/transport.ts";
import { nativeEd25519 } from "../../src/protocol/ed25519.ts";
import { outboundPolicy, parseRanges } from "../../src/protocol/ip-ranges.ts";

const key = generateSigningKey(nativeEd25519);
const ok = (value: unknown, status = 200): FetchedAnswer => ({ status, headers: new Headers({ "content-type": "application/json" }), body: new TextEncoder().encode(JSON.stringify(value)) });
const server: ResolvedServer = { targets: [{ host: "203.0.113.9", port: 8448 }], hostHeader: "remote.example", tlsName: "remote.example" };

function client(answer: (request: HttpsRequest) => Promise<FetchedAnswer>, options: { timeoutMs?: number } = {}) {
  const clock = { now: 1_000_000 };
  const sent: HttpsRequest[] = [];
  const transport = createFederationClient({
    serverName: "origin.example", signingKey: key, ed25519: nativeEd25519,
    resolver: { resolve: async (name) => (name === "bad name" ? Promise.reject(new Error("not a server name")) : server) },
    https: { send: async (_server, request) => (sent.push(request), answer(request)) },
    backoff: createDestinationBackoff({ minIntervalMs: 600_000, multiplier: 2, maxIntervalMs: 7 * 86_400_000 }, () => clock.now, () => 1 / 3),
    timeoutMs: options.timeoutMs,
  });
  return { transport, sent, clock };
}

async function failure(promise: Promise<unknown>): Promise<FederationRequestError> {
  const error = await promise.then(() => null, (e: unknown) => e);
  if (!(error instanceof FederationRequestError)) throw new Error(`expected a FederationRequestError, got ${String(error)}`);
  return error;
}

test("what the client signs is what the receiver checks (method, target with query, destination, body)", async () => {
  const { transport, sent } = client(async () => ok({ done: true }));
  const path = "/_matrix/federation/v1/send/" + encodeURIComponent("txn/1 é");
  expect(await transport.signed("remote.example", { method: "PUT", path, query: { a: "x'y (z)", b: ["1", "2"] }, body: { pdus: [] } })).toEqual({ done: true });
  const request = sent[0]!;
  expect(request.target).toBe(requestTarget(path, { a: "x'y (z)", b: ["1", "2"] }));
  expect(request.target).toBe("/_matrix/federation/v1/send/txn%2F1%20%C3%A9?a=x%27y%20%28z%29&b=1&b=2");
  const resolve = xMatrixResolver({ serverName: "remote.example", ed25519: nativeEd25519, keys: { verifyKey: async (name, id) => (name === "origin.example" && id === key.keyId ? key.publicKey : null) } });
  const incoming = new Request(`https://remote.example${request.target}`, { method: "PUT", headers: request.headers, body: request.body });
  expect(await resolve(incoming, "", async () => new Uint8Array(await incoming.arrayBuffer()))).toEqual({ kind: "server", origin: "origin.example" });
  // Signed for another destination, the same request is refused there.
  const elsewhere = xMatrixResolver({ serverName: "other.example", ed25519: nativeEd25519, keys: { verifyKey: async () => key.publicKey } });
  await expect(elsewhere(new Request(`https://other.example${request.target}`, { method: "PUT", headers: request.headers, body: request.body }), "")).rejects.toMatchObject({ status: 401 });
});

test("PUT and POST without a body send and sign {}; GET sends none", async () => {
  const { transport, sent } = client(async () => ok({}));
  await transport.signed("remote.example", { method: "POST", path: "/_matrix/federation/v1/x" });
  await transport.signed("remote.example", { method: "GET", path: "/_matrix/federation/v1/x" });
  expect([sent[0]!.body, sent[1]!.body]).toEqual(["{}", undefined]);
  expect(sent[1]!.headers.Authorization).toStartWith('X-Matrix origin="origin.example",destination="remote.example",key="');
});

describe("backoff", () => {
  test("a failing destination is not contacted until its interval passes; a success resets it", async () => {
    let status = 502;
    const { transport, sent, clock } = client(async () => ok({ errcode: "M_UNKNOWN" }, status));
    const get = () => transport.signed("remote.example", { method: "GET", path: "/_matrix/federation/v1/version" });
    expect((await failure(get())).status).toBe(502);
    expect((await failure(get())).message).toContain("backoff");
    expect(sent).toHaveLength(1);
    // Key requests still go out (they are how a server is found to be back).
    await failure(transport.unsigned("remote.example", "/_matrix/key/v2/server"));
    expect(sent).toHaveLength(2);
    clock.now += 600_000; // 10 min x 1.0 (jitter 0.8 + 0.6/3)
    expect((await failure(get())).status).toBe(502);
    clock.now += 600_000; // now 20 min
    expect((await failure(get())).message).toContain("backoff");
    clock.now += 600_000;
    status = 200;
    await get();
    await get();
    expect(sent).toHaveLength(5);
  });
  test("4xx answers do not start a backoff; unreachable destinations and 429 do", async () => {
    const { transport, sent } = client(async (request) => (request.target.includes("gone") ? Promise.reject(new Error("ECONNREFUSED")) : ok({ errcode: "M_NOT_FOUND" }, request.target.includes("busy") ? 429 : 404)));
    for (let i = 0; i < 2; i++) expect((await failure(transport.signed("remote.example", { method: "GET", path: "/missing" }))).errcode).toBe("M_NOT_FOUND");
    expect((await failure(transport.signed("remote.example", { method: "GET", path: "/gone" }))).message).toContain("ECONNREFUSED");
    expect((await failure(transport.signed("remote.example", { method: "GET", path: "/missing" }))).message).toContain("backoff");
    expect(sent).toHaveLength(3);
    const busy = client(async () => ok({}, 429));
    await failure(busy.transport.signed("remote.example", { method: "GET", path: "/busy" }));
    expect((await failure(busy.transport.signed("remote.example", { method: "GET", path: "/busy" }))).message).toContain("backoff");
  });
  test("intervals grow by the multiplier up to the cap; the table forgets the oldest past its limit", () => {
    const clock = { now: 0 };
    const backoff = createDestinationBackoff({ minIntervalMs: 1000, multiplier: 3, maxIntervalMs: 5000 }, () => clock.now, () => 1 / 3);
    const intervals: number[] = [];
    for (let i = 0; i < 4; i++) {
      backoff.failed("d");
      backoff.failed("d"); // a second failure within the interval does not grow it
      intervals.push(backoff.retryAfter("d")! - clock.now);
      clock.now = backoff.retryAfter("d")!;
    }
    expect(intervals).toEqual([1000, 3000, 5000, 5000]);
    backoff.succeeded("d");
    expect(backoff.retryAfter("d")).toBeNull();
    for (let i = 0; i <= BACKOFF_MAX_DESTINATIONS; i++) backoff.failed(`d${i}`);
    expect(backoff.retryAfter("d0")).toBeNull();
    expect(backoff.retryAfter(`d${BACKOFF_MAX_DESTINATIONS}`)).not.toBeNull();
  });
});

test("timeout, oversized answer, non-JSON answer and unresolvable names are FederationRequestErrors", async () => {
  const hang = client((request) => new Promise((_, reject) => request.signal.addEventListener("abort", () => reject(request.signal.reason))), { timeoutMs: 50 });
  expect((await failure(hang.transport.signed("remote.example", { method: "GET", path: "/x" }))).message).toContain("within 50 ms");
  expect((await failure(hang.transport.signed("other.example", { method: "GET", path: "/x", timeoutMs: 20 }))).message).toContain("within 20 ms");
  const big = client(async () => ({ status: 200, headers: new Headers({ "content-type": "application/json" }), body: null }));
  expect((await failure(big.transport.unsigned("remote.example", "/x"))).message).toContain("exceeds 104857600 bytes");
  const html = client(async () => ({ status: 200, headers: new Headers({ "content-type": "text/html" }), body: new TextEncoder().encode("{}") }));
  expect((await failure(html.transport.unsigned("remote.example", "/x"))).message).toContain("JSON");
  expect((await failure(html.transport.unsigned("bad name", "/x"))).message).toContain("not a server name");
});

describe("outbound HTTPS", () => {
  const policy = outboundPolicy(parseRanges(["10.0.0.0/8", "127.0.0.0/8"], "b"), parseRanges(["127.0.0.2"], "w"));
  function https(addresses: Record<string, string[]>, answer: (url: string) => Response | Promise<Response>) {
    const fetched: { url: string; init: Record<string, unknown> }[] = [];
    const outbound = createOutboundHttps({
      policy, verifyCertificates: true,
      dns: { resolveSrv: async () => [], lookup: async (host) => addresses[host] ?? Promise.reject(Object.assign(new Error("nx"), { code: "ENOTFOUND" })) },
      fetch: async (url, init) => (fetched.push({ url, init: init as Record<string, unknown> }), answer(url)),
    });
    const send = (resolved: ResolvedServer, maxBytes = 1000) =>
      outbound.send(resolved, { method: "GET", target: "/t?q=1", headers: { A: "b" }, signal: AbortSignal.timeout(5000), maxBytes });
    return { send, fetched };
  }
  const named = (...hosts: string[]): ResolvedServer => ({ targets: hosts.map((host) => ({ host, port: 8448 })), hostHeader: "remote.example", tlsName: "remote.example" });

  test("a name with any blacklisted address is refused before connecting; the whitelist wins", async () => {
    const { send, fetched } = https({ "mixed.example": ["203.0.113.1", "10.1.2.3"], "lo.example": ["127.0.0.2"] }, () => new Response("{}"));
    await expect(send(named("mixed.example"))).rejects.toThrow("10.1.2.3, which ip_range_blacklist refuses");
    await expect(send({ ...named("127.0.0.1"), tlsName: "127.0.0.1" })).rejects.toThrow("ip_range_blacklist");
    await expect(send({ ...named("0.0.0.0") })).rejects.toThrow("ip_range_blacklist");
    expect(fetched).toHaveLength(0);
    expect((await send(named("lo.example"))).status).toBe(200);
    expect(fetched[0]!.url).toBe("https://127.0.0.2:8448/t?q=1");
  });
  test("connects to the checked address with Host, SNI and certificate checks, never following redirects", async () => {
    const { send, fetched } = https({ "v6.example": ["2001:db8::5"] }, () => new Response("{}"));
    await send(named("v6.example"));
    expect(fetched[0]!.url).toBe("https://[2001:db8::5]:8448/t?q=1");
    expect(fetched[0]!.init).toMatchObject({ headers: { A: "b", Host: "remote.example" }, redirect: "manual", tls: { rejectUnauthorized: true, serverName: "remote.example" }, proxy: false });
    await send({ targets: [{ host: "203.0.113.7", port: 1 }], hostHeader: "203.0.113.7:1", tlsName: "203.0.113.7" });
    expect(fetched[1]!.init.tls).toEqual({ rejectUnauthorized: true }); // no SNI for an IP address
  });
  test("the next address, then the next SRV target, is tried when a connection fails", async () => {
    const { send, fetched } = https({ "a.example": ["203.0.113.1", "203.0.113.2"], "b.example": ["203.0.113.3"] }, (url) =>
      url.includes("203.0.113.3") ? new Response("{}") : Promise.reject(Object.assign(new Error("refused"), { code: "ECONNREFUSED" })),
    );
    expect((await send(named("nx.example", "a.example", "b.example"))).status).toBe(200);
    expect(fetched.map((entry) => new URL(entry.url).hostname)).toEqual(["203.0.113.1", "203.0.113.2", "203.0.113.3"]);
    await expect(send(named("nx.example", "a.example"))).rejects.toThrow(/ENOTFOUND.*ECONNREFUSED/);
  });
  test("bodies past the cap are not read, declared or streamed", async () => {
    const declared = https({ "a.example": ["203.0.113.1"] }, () => new Response("x".repeat(2000)));
    expect((await declared.send(named("a.example"))).body).toBeNull();
    const streamed = https({ "a.example": ["203.0.113.1"] }, () => new Response(new ReadableStream({ pull: (c) => c.enqueue(new Uint8Array(600)) })));
    expect((await streamed.send(named("a.example"))).body).toBeNull();
    expect((await declared.send(named("a.example"), 5000)).body?.byteLength).toBe(2000);
  });
});

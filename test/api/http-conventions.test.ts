// HTTP conventions every endpoint shares: errors, CORS, 404/405, body limits, rate limits, logs.
import { describe, expect, test } from "bun:test";
import { Type as T } from "@sinclair/typebox";
import { endpoint, reply } from "../../src/http/endpoint.ts";
import { MatrixError } from "../../src/protocol/matrix-error.ts";
import { RateLimiter } from "../../src/http/rate-limit.ts";
import { createRouter } from "../../src/http/router.ts";
import { silentLogger } from "../../src/log/logger.ts";
import { capturingLogger, get, json } from "../helpers/services.ts";

const echo = endpoint({
  method: "POST",
  paths: ["/_matrix/client/v3/echo/:thing", "/_matrix/client/unstable/echo/:thing"],
  auth: "none",
  body: T.Object({ name: T.String(), count: T.Optional(T.Integer()) }),
  query: T.Object({ limit: T.Optional(T.Integer({ minimum: 1 })) }),
  spec: "test",
  handler: ({ body, params, query }) => reply(201, { thing: params.thing, name: body.name, limit: query.limit ?? null }),
});
const failing = [
  endpoint({ method: "GET", paths: ["/boom"], auth: "none", spec: "test", handler: () => { throw new Error("secret internals at /etc/x"); } }),
  endpoint({ method: "GET", paths: ["/teapot"], auth: "none", spec: "test", handler: () => { throw new MatrixError(418, "M_FORBIDDEN", "no tea", { extra: 1 }); } }),
  endpoint({ method: "GET", paths: ["/limited"], auth: "none", rateLimit: "rc_message", spec: "test", handler: () => ({ ok: true }) }),
];

function router(log = silentLogger, maxBodySize = 1024, trustForwardedFor = false) {
  return createRouter({
    endpoints: [echo, ...failing],
    log,
    maxBodySize,
    auth: {},
    rateLimiter: new RateLimiter(),
    rateLimits: { rc_message: { per_second: 0.001, burst_count: 2 } },
    trustForwardedFor,
  });
}

const post = (path: string, body: string | Uint8Array | ReadableStream, headers: Record<string, string> = { "Content-Type": "application/json" }) =>
  get(path, { method: "POST", body, headers });

describe("routing", () => {
  test("a valid request reaches the handler with typed body, params and query", async () => {
    const res = await router().handle(post("/_matrix/client/v3/echo/abc?limit=5", JSON.stringify({ name: "x" })));
    expect(res.status).toBe(201);
    expect(await json(res)).toEqual({ thing: "abc", name: "x", limit: 5 });
    const other = await router().handle(post("/_matrix/client/unstable/echo/d%20e", JSON.stringify({ name: "y" })));
    expect(await json(other)).toEqual({ thing: "d e", name: "y", limit: null });
  });
  test("unknown path is 404 M_UNRECOGNIZED", async () => {
    const res = await router().handle(get("/_matrix/client/v3/nope"));
    expect(res.status).toBe(404);
    expect(await json(res)).toEqual({ errcode: "M_UNRECOGNIZED", error: "Unrecognized request" });
  });
  test("known path with the wrong method is 405 M_UNRECOGNIZED", async () => {
    const res = await router().handle(get("/_matrix/client/v3/echo/abc", { method: "PUT", body: "{}" }));
    expect(res.status).toBe(405);
    expect((await json(res)).errcode).toBe("M_UNRECOGNIZED");
    expect(res.headers.get("allow")).toContain("POST");
  });
  test("OPTIONS answers any path with CORS headers and runs no handler", async () => {
    const res = await router().handle(get("/boom", { method: "OPTIONS" }));
    expect(res.status).toBe(204);
    expect(res.headers.get("access-control-allow-origin")).toBe("*");
    expect(res.headers.get("access-control-allow-methods")).toBe("GET, POST, PUT, DELETE, OPTIONS");
    expect(res.headers.get("access-control-allow-headers")).toBe("X-Requested-With, Content-Type, Authorization");
  });
  test("CORS headers are on errors too", async () => {
    const res = await router().handle(get("/nope"));
    expect(res.headers.get("access-control-allow-origin")).toBe("*");
  });
});

describe("bodies", () => {
  const path = "/_matrix/client/v3/echo/a";
  test("malformed JSON is 400 M_NOT_JSON", async () => {
    for (const body of ["{", "not json", "", "[1,2]", "\"str\"", "null"]) {
      const res = await router().handle(post(path, body));
      expect(res.status).toBe(400);
      expect((await json(res)).errcode).toBe("M_NOT_JSON");
    }
  });
  test("invalid UTF-8 is 400 M_NOT_JSON", async () => {
    const res = await router().handle(post(path, new Uint8Array([0x7b, 0x22, 0xff, 0x22, 0x3a, 0x31, 0x7d])));
    expect((await json(res)).errcode).toBe("M_NOT_JSON");
  });
  test("JSON is parsed whatever the Content-Type says", async () => {
    const res = await router().handle(post(path, JSON.stringify({ name: "x" }), {}));
    expect(res.status).toBe(201);
  });
  test("wrong field types are 400 M_BAD_JSON naming the field", async () => {
    for (const input of [{ name: 5 }, {}, { name: "x", count: "3" }, { name: "x", count: 1.5 }]) {
      const res = await router().handle(post(path, JSON.stringify(input)));
      expect(res.status).toBe(400);
      const body = await json(res);
      expect(body.errcode).toBe("M_BAD_JSON");
      expect(body.error).toMatch(/name|count/);
    }
  });
  test("a malformed percent-encoding in the path is 400 M_INVALID_PARAM", async () => {
    for (const bad of ["%ZZ", "%E2%82"]) {
      const res = await router().handle(post(`/_matrix/client/v3/echo/${bad}`, JSON.stringify({ name: "x" })));
      expect(res.status).toBe(400);
      expect((await json(res)).errcode).toBe("M_INVALID_PARAM");
    }
  });
  test("a bad query parameter is 400 M_INVALID_PARAM", async () => {
    const res = await router().handle(post(`${path}?limit=zero`, JSON.stringify({ name: "x" })));
    expect(res.status).toBe(400);
    expect((await json(res)).errcode).toBe("M_INVALID_PARAM");
  });
  test("a body over the limit is 413 M_TOO_LARGE, declared or streamed", async () => {
    const big = JSON.stringify({ name: "x".repeat(2000) });
    const declared = await router().handle(post(path, big));
    expect(declared.status).toBe(413);
    expect((await json(declared)).errcode).toBe("M_TOO_LARGE");
    const stream = new ReadableStream({
      start(controller) {
        for (let i = 0; i < 10; i++) controller.enqueue(new TextEncoder().encode("x".repeat(200)));
        controller.close();
      },
    });
    const streamed = await router().handle(post(path, stream));
    expect(streamed.status).toBe(413);
  });
});

describe("errors", () => {
  test("a MatrixError renders its status, errcode, message and extra keys", async () => {
    const res = await router().handle(get("/teapot"));
    expect(res.status).toBe(418);
    expect(await json(res)).toEqual({ errcode: "M_FORBIDDEN", error: "no tea", extra: 1 });
  });
  test("an unexpected error is 500 M_UNKNOWN without internals, logged with the request id", async () => {
    const { log, lines } = capturingLogger();
    const res = await router(log).handle(get("/boom"));
    expect(res.status).toBe(500);
    const text = await res.text();
    expect(JSON.parse(text)).toEqual({ errcode: "M_UNKNOWN", error: "Internal server error" });
    expect(text).not.toContain("secret");
    const failure = lines.find((line) => line.msg === "request failed")!;
    const access = lines.find((line) => line.msg === "request")!;
    expect(failure.request_id).toBe(access.request_id);
    expect(JSON.stringify(failure)).toContain("secret internals");
  });
  test("rate limits answer 429 M_LIMIT_EXCEEDED with Retry-After", async () => {
    const app = router();
    expect((await app.handle(get("/limited"), "10.0.0.1")).status).toBe(200);
    expect((await app.handle(get("/limited"), "10.0.0.1")).status).toBe(200);
    const limited = await app.handle(get("/limited"), "10.0.0.1");
    expect(limited.status).toBe(429);
    const body = await json(limited);
    expect(body.errcode).toBe("M_LIMIT_EXCEEDED");
    expect(body.retry_after_ms).toBeGreaterThan(0);
    expect(Number(limited.headers.get("retry-after"))).toBeGreaterThan(0);
    // another address has its own bucket
    expect((await app.handle(get("/limited"), "10.0.0.2")).status).toBe(200);
  });
});

describe("request log", () => {
  test("one JSON line per request, without the query string", async () => {
    const { log, lines } = capturingLogger();
    await router(log).handle(get("/nope?access_token=syt_secret"), "127.0.0.1");
    const access = lines.filter((line) => line.msg === "request");
    expect(access).toHaveLength(1);
    expect(access[0]).toMatchObject({ method: "GET", path: "/nope", status: 404, ip: "127.0.0.1" });
    expect(JSON.stringify(lines)).not.toContain("syt_secret");
  });
});

test("X-Forwarded-For names the client only on listeners with x_forwarded", async () => {
  const headers = { "X-Forwarded-For": "203.0.113.9, 10.0.0.1" };
  for (const [trusted, expected] of [[true, "203.0.113.9"], [false, "127.0.0.1"]] as const) {
    const { log, lines } = capturingLogger();
    await router(log, 1024, trusted).handle(get("/nope", { headers }), "127.0.0.1");
    expect(lines.find((line) => line.msg === "request")!.ip).toBe(expected);
  }
});

test("an endpoint needing an auth kind the server cannot resolve is refused at start", () => {
  const guarded = endpoint({ method: "GET", paths: ["/x"], auth: "accessToken", spec: "test", handler: () => ({}) });
  expect(() => createRouter({ endpoints: [guarded], log: silentLogger, maxBodySize: 1, auth: {}, rateLimiter: new RateLimiter(), rateLimits: {}, trustForwardedFor: false })).toThrow(/accessToken/);
});

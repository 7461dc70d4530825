// Turns endpoint definitions into an Elysia app and wraps it with what every request gets:
// a request id, CORS, OPTIONS answers, one JSON log line, and errors rendered the spec's way.
// https://spec.matrix.org/v1.19/client-server-api/#api-standards
import { Elysia } from "elysia";
import type { TSchema } from "@sinclair/typebox";
import { TypeCompiler, type TypeCheck } from "@sinclair/typebox/compiler";
import { Value } from "@sinclair/typebox/value";
import type { Logger } from "../log/logger.ts";
import { parseJsonObject, readBody } from "./body.ts";
import { isReply, type AuthKind, type Endpoint, type Requester } from "./endpoint.ts";
import { MatrixError } from "../protocol/matrix-error.ts";
import type { RateLimiter, RateLimitRule } from "./rate-limit.ts";

/**
 * Resolves a caller for an auth kind, or throws the spec's 401/403 MatrixError. `body` reads the
 * request body (capped) once: X-Matrix signatures cover it, and the handler gets the same bytes.
 */
export type AuthResolver = (request: Request, ip: string, body: () => Promise<Uint8Array>) => Promise<Requester>;

export interface RouterOptions {
  endpoints: readonly Endpoint[];
  log: Logger;
  /** Body cap for JSON endpoints, in bytes (config max_request_body_size). */
  maxBodySize: number;
  /** Auth resolvers by kind; an endpoint whose kind has none is refused at start. */
  auth: Partial<Record<Exclude<AuthKind, "none">, AuthResolver>>;
  rateLimiter: RateLimiter;
  rateLimits: Record<string, RateLimitRule>;
  /** Addresses the rate limits skip (config rc_exempt_loopback); none by default. */
  rateLimitExempt?: (ip: string) => boolean;
  /** Take the client address from X-Forwarded-For (listener option x_forwarded). */
  trustForwardedFor: boolean;
}

export interface HttpApp {
  /** Answers one request; `remoteAddress` is the socket's peer when served by a listener. */
  handle(request: Request, remoteAddress?: string): Promise<Response>;
  /** Every registered method and path (Elysia syntax), for introspection and tests. */
  readonly routes: readonly { method: string; path: string }[];
}

const CORS_HEADERS: Record<string, string> = {
  "Access-Control-Allow-Origin": "*",
  "Access-Control-Allow-Methods": "GET, POST, PUT, DELETE, OPTIONS",
  "Access-Control-Allow-Headers": "X-Requested-With, Content-Type, Authorization",
};

interface RequestInfo {
  id: string;
  ip: string;
  /** The request's URL, parsed once. */
  url: URL;
}

function jsonResponse(status: number, body: unknown, headers?: Record<string, string>): Response {
  return new Response(JSON.stringify(body), { status, headers: { "Content-Type": "application/json", ...headers } });
}

function errorResponse(error: MatrixError): Response {
  return jsonResponse(error.status, error.toJSON(), error.headers);
}

function pathPattern(path: string): RegExp {
  const escaped = path.split("/").map((part) => (part.startsWith(":") ? "[^/]+" : part.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")));
  return new RegExp(`^${escaped.join("/")}/?$`);
}

function firstError(check: TypeCheck<TSchema>, value: unknown): string {
  const error = check.Errors(value).First();
  if (!error) return "invalid";
  const where = error.path.replace(/^\//, "").replace(/\//g, ".") || "body";
  return `${where}: ${error.message}`;
}

export function createRouter(options: RouterOptions): HttpApp {
  const { log } = options;
  const info = new WeakMap<Request, RequestInfo>();
  const methodsByPath: { pattern: RegExp; methods: Set<string> }[] = [];
  let nextId = 0;
  // Hooks apply to routes registered after them, so the error hook comes first.
  const elysia = new Elysia();
  const unrouted = (request: Request): MatrixError => {
    const pathname = (info.get(request)?.url ?? new URL(request.url)).pathname;
    const known = methodsByPath.find((entry) => entry.pattern.test(pathname));
    if (known) {
      return new MatrixError(405, "M_UNRECOGNIZED", "Unrecognized request", {}, { Allow: [...known.methods, "OPTIONS"].join(", ") });
    }
    return new MatrixError(404, "M_UNRECOGNIZED", "Unrecognized request");
  };

  elysia.onError(({ code, error, request }) => {
    if (code === "NOT_FOUND") return errorResponse(unrouted(request));
    return renderUnexpected(error, request);
  });

  const renderUnexpected = (error: unknown, request: Request): Response => {
    if (error instanceof MatrixError) return errorResponse(error);
    const meta = info.get(request);
    log.error("request failed", { request_id: meta?.id, method: request.method, path: meta?.url.pathname, error });
    return errorResponse(new MatrixError(500, "M_UNKNOWN", "Internal server error"));
  };


  for (const definition of options.endpoints) {
    const resolve = definition.auth === "none" ? null : options.auth[definition.auth];
    if (definition.auth !== "none" && !resolve) {
      throw new Error(`${definition.method} ${definition.paths[0]} needs auth '${definition.auth}', which this server cannot resolve`);
    }
    const rule = definition.rateLimit ? options.rateLimits[definition.rateLimit] : undefined;
    const bodyCheck = definition.body ? TypeCompiler.Compile(definition.body) : null;
    const querySchema = definition.query;
    const queryCheck = querySchema ? TypeCompiler.Compile(querySchema) : null;

    const run = async (ctx: { request: Request; params: Record<string, string> }) => {
      const { request } = ctx;
      const meta = info.get(request) ?? { id: "-", ip: "", url: new URL(request.url) };
      let bodyBytes: Promise<Uint8Array> | undefined;
      const readOnce = () => (bodyBytes ??= readBody(request, options.maxBodySize));
      const requester: Requester = resolve ? await resolve(request, meta.ip, readOnce) : { kind: "none" };
      // https://spec.matrix.org/v1.19/client-server-api/#guest-access
      if (requester.kind === "user" && requester.isGuest && !definition.allowGuests) {
        throw new MatrixError(403, "M_GUEST_ACCESS_FORBIDDEN", "Guest access not allowed");
      }
      const exempt = options.rateLimitExempt?.(meta.ip) || (requester.kind === "user" && requester.rateLimitExempt);
      if (rule && !exempt) options.rateLimiter.take(definition.rateLimit!, rule, requester.kind === "user" ? requester.userId : meta.ip);

      // Elysia leaves a parameter null when its percent-encoding is malformed.
      for (const [name, value] of Object.entries(ctx.params ?? {})) {
        if (typeof value !== "string") throw new MatrixError(400, "M_INVALID_PARAM", `Path parameter ${name} is not valid percent-encoded UTF-8`);
        // No Matrix identifier, type or key holds NUL, and PostgreSQL text cannot store it.
        if (value.includes("\u0000")) throw new MatrixError(400, "M_INVALID_PARAM", `Path parameter ${name} contains a NUL character`);
      }
      for (const value of meta.url.searchParams.values()) {
        if (value.includes("\u0000")) throw new MatrixError(400, "M_INVALID_PARAM", "A query parameter contains a NUL character");
      }
      const { searchParams } = meta.url;
      let query: unknown = Object.fromEntries(searchParams);
      if (querySchema && queryCheck) {
        query = Value.Convert(querySchema, query);
        if (!queryCheck.Check(query)) throw new MatrixError(400, "M_INVALID_PARAM", firstError(queryCheck, query));
      }
      let body: unknown = undefined;
      if (bodyCheck) {
        body = parseJsonObject(await readOnce());
        if (!bodyCheck.Check(body)) throw new MatrixError(400, "M_BAD_JSON", firstError(bodyCheck, body));
      }
      const result = await definition.handler({
        body, query, params: ctx.params ?? {}, searchParams, requester, request, ip: meta.ip, requestId: meta.id,
      } as never);
      if (result instanceof Response) return result;
      return isReply(result) ? jsonResponse(result.status, result.body, result.headers) : jsonResponse(200, result);
    };
    const handler = (ctx: { request: Request; params: Record<string, string> }) =>
      run(ctx).catch((error: unknown) => renderUnexpected(error, ctx.request));

    for (const path of definition.paths) {
      // Bodies are read by readBody (size cap, spec errcodes), never by Elysia.
      elysia.route(definition.method, path, handler as never, { parse: "none" } as never);
      let entry = methodsByPath.find((candidate) => candidate.pattern.source === pathPattern(path).source);
      if (!entry) methodsByPath.push((entry = { pattern: pathPattern(path), methods: new Set() }));
      entry.methods.add(definition.method);
    }
  }

  return {
    routes: options.endpoints.flatMap((definition) => definition.paths.map((path) => ({ method: definition.method, path }))),
    async handle(request, remoteAddress = "") {
      const started = performance.now();
      const id = `${Date.now().toString(36)}-${(nextId++).toString(36)}`;
      const forwarded = options.trustForwardedFor ? request.headers.get("x-forwarded-for")?.split(",")[0]?.trim() : undefined;
      const ip = forwarded || remoteAddress;
      const url = new URL(request.url);
      info.set(request, { id, ip, url });

      let response: Response;
      if (request.method === "OPTIONS") {
        response = new Response(null, { status: 204 });
      } else {
        try {
          response = await elysia.handle(request);
        } catch (error) {
          response = renderUnexpected(error, request);
        }
      }
      for (const [name, value] of Object.entries(CORS_HEADERS)) response.headers.set(name, value);
      // Paths only: query strings can carry access tokens.
      log.info("request", {
        request_id: id, method: request.method, path: url.pathname, status: response.status,
        ms: Math.round((performance.now() - started) * 100) / 100, ip,
      });
      return response;
    },
  };
}

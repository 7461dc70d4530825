// X-Matrix request authentication: the signed JSON a request stands for, the Authorization
// header that carries its signatures (sent by src/federation/client.ts), and the check of
// incoming requests, which is the router's 'server' auth resolver.
// https://spec.matrix.org/v1.19/server-server-api/#request-authentication
// Errors follow Synapse (federation/transport/server/_base.py): a header that cannot be parsed
// is 400 M_UNAUTHORIZED; a missing header, a wrong destination, an unknown key or a bad
// signature are 401 M_UNAUTHORIZED.
import { parseServerName } from "../protocol/identifiers.ts";
import { canonicalJson } from "../protocol/canonical-json.ts";
import type { Ed25519 } from "../protocol/ed25519.ts";
import { MatrixError } from "../protocol/matrix-error.ts";
import { signJson, verifyJsonSignature, type CanonicalEncoder, type JsonObject, type SigningKey } from "../protocol/signed-json.ts";
import type { ServerKeySource } from "./server-key-source.ts";

export interface XMatrixCredentials {
  origin: string;
  /** Absent in requests of servers older than spec v1.3. */
  destination: string | null;
  key: string;
  sig: string;
}

/** Limit: X-Matrix credentials read from one request (a key rotation needs two at most). */
export const X_MATRIX_MAX_CREDENTIALS = 8;

/** The object a request's signatures cover (step 1 of the spec). */
export function requestJson(request: { method: string; uri: string; origin: string; destination: string; content?: unknown }): JsonObject {
  const object: JsonObject = { method: request.method, uri: request.uri, origin: request.origin, destination: request.destination };
  if (request.content !== undefined) object.content = request.content;
  return object;
}

const quote = (value: string) => `"${value.replace(/["\\]/g, "\\$&")}"`;

/** The Authorization header of a request signed by `origin` (step 2; one header, our one key). */
export function xMatrixAuthorization(
  request: { method: string; uri: string; origin: string; destination: string; content?: unknown },
  key: SigningKey,
  ed25519: Ed25519,
  encode: CanonicalEncoder = canonicalJson,
): string {
  const signed = signJson(requestJson(request), request.origin, key, ed25519, encode);
  const sig = signed.signatures[request.origin]![key.keyId]!;
  // The spec's advice for older servers: one space, lower-case names, no spaces around commas.
  return `X-Matrix origin=${quote(request.origin)},destination=${quote(request.destination)},key=${quote(key.keyId)},sig=${quote(sig)}`;
}

const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+/;
/** Unquoted values: tokens, plus colons (the spec's compatibility rule) and base64's "/" and "=". */
const BARE_VALUE = /^[!#$%&'*+\-.^_`|~0-9A-Za-z:/=]+/;

/**
 * Every X-Matrix credential in an Authorization header value (several headers arrive joined by
 * commas). [] when it holds none; null when it is malformed.
 */
export function parseXMatrix(header: string): XMatrixCredentials[] | null {
  const text = header.trim();
  const scheme = /^x-matrix( +|$)/i.exec(text);
  if (!scheme) return [];
  if (scheme[0].length === text.length) return null;
  const all: XMatrixCredentials[] = [];
  let params = new Map<string, string>();
  let at = scheme[0].length;
  const finish = (): boolean => {
    const origin = params.get("origin");
    const key = params.get("key");
    const sig = params.get("sig");
    if (origin === undefined || key === undefined || sig === undefined || !parseServerName(origin)) return false;
    all.push({ origin, destination: params.get("destination") ?? null, key, sig });
    return all.length <= X_MATRIX_MAX_CREDENTIALS;
  };
  for (;;) {
    const name = TOKEN.exec(text.slice(at))?.[0];
    if (!name) return null;
    at += name.length;
    const afterName = /^[ \t]*=[ \t]*/.exec(text.slice(at));
    if (!afterName) {
      // Not a parameter: the scheme of the next credential ("..., X-Matrix origin=...").
      const nextScheme = /^ +/.exec(text.slice(at));
      if (name.toLowerCase() !== "x-matrix" || !nextScheme || params.size === 0 || !finish()) return null;
      params = new Map();
      at += nextScheme[0].length;
      continue;
    }
    at += afterName[0].length;
    let value: string;
    if (text[at] === '"') {
      // quoted-string: backslash escapes any character; no raw controls (tab aside).
      const quoted = /^"((?:[^"\\\u0000-\u0008\u000A-\u001F\u007F]|\\[^\u0000-\u0008\u000A-\u001F\u007F])*)"/.exec(text.slice(at));
      if (!quoted) return null;
      value = quoted[1]!.replace(/\\(.)/g, "$1");
      at += quoted[0].length;
    } else {
      const bare = BARE_VALUE.exec(text.slice(at));
      if (!bare) return null;
      value = bare[0];
      at += value.length;
    }
    const lower = name.toLowerCase();
    if (params.has(lower)) return null;
    params.set(lower, value);
    const separator = /^[ \t]*(,[ \t]*)?/.exec(text.slice(at))![0];
    at += separator.length;
    if (at >= text.length) return finish() ? all : null;
    if (!separator.includes(",")) return null;
  }
}

const unauthorized = (message: string, status = 401) => new MatrixError(status, "M_UNAUTHORIZED", message);
const utf8 = new TextDecoder("utf-8", { fatal: true });

/** The request target as received: path and query, exactly as the sender wrote and signed them. */
function requestTarget(request: Request): string {
  const url = request.url;
  const start = url.indexOf("/", url.indexOf("//") + 2);
  return start < 0 ? "/" : url.slice(start);
}

function parseContent(bytes: Uint8Array): unknown {
  try {
    const value = JSON.parse(utf8.decode(bytes)) as unknown;
    if (typeof value === "object" && value !== null && !Array.isArray(value)) return value;
  } catch {
    // refused below
  }
  throw new MatrixError(400, "M_NOT_JSON", "Content not JSON.");
}

/**
 * The 'server' auth resolver: checks a request's X-Matrix signatures and answers its origin.
 * `body` reads the request body once (the router keeps it for the handler).
 */
export function xMatrixResolver(deps: {
  serverName: string;
  keys: ServerKeySource;
  ed25519: Ed25519;
  canonicalJson?: CanonicalEncoder;
  now?: () => number;
}) {
  const now = deps.now ?? Date.now;
  return async (request: Request, _ip: string, body?: () => Promise<Uint8Array>): Promise<{ kind: "server"; origin: string }> => {
    const header = request.headers.get("authorization");
    const credentials = header === null ? [] : parseXMatrix(header);
    if (credentials === null) throw unauthorized("Malformed Authorization header", 400);
    if (credentials.length === 0) throw unauthorized("Missing Authorization headers");
    const origin = credentials[0]!.origin;
    if (credentials.some((credential) => credential.origin !== origin)) throw unauthorized("Authorization headers name different origins", 400);
    if (credentials.some((credential) => credential.destination !== null && credential.destination !== deps.serverName)) {
      throw unauthorized("Destination mismatch in auth header");
    }
    const bytes = body ? await body() : new Uint8Array(0);
    const signed = requestJson({
      method: request.method, uri: requestTarget(request), origin, destination: deps.serverName,
      content: bytes.byteLength > 0 ? parseContent(bytes) : undefined,
    });
    signed.signatures = { [origin]: Object.fromEntries(credentials.map((credential) => [credential.key, credential.sig])) };
    // As Synapse's keyring: every signature whose key is known must verify, and at least one must.
    let verified = 0;
    for (const { key } of credentials) {
      if (!key.startsWith("ed25519:")) continue;
      const publicKey = await deps.keys.verifyKey(origin, key, now()).catch(() => null);
      if (!publicKey) continue;
      const check = verifyJsonSignature(signed, origin, key, publicKey, deps.ed25519, deps.canonicalJson);
      if (!check.ok) throw unauthorized(`Invalid signature for server ${origin} with key ${key}`);
      verified++;
    }
    if (verified === 0) throw unauthorized(`Failed to find any key of ${origin} to check the request's signature`);
    return { kind: "server", origin };
  };
}

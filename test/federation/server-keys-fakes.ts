// Fakes for server key tests: remote servers that sign key responses with real keys, and a
// FederationTransport that routes requests to them (or fails like an unreachable server).
import { generateSigningKey, type ServerSigningKey } from "../../src/auth/signing-key.ts";
import { FederationRequestError, type FederationRequest, type FederationTransport } from "../../src/federation/transport.ts";
import { encodeBase64 } from "../../src/protocol/base64.ts";
import { nativeEd25519 } from "../../src/protocol/ed25519.ts";
import { signJson, type JsonObject } from "../../src/protocol/signed-json.ts";

export interface FakeServer {
  name: string;
  key: ServerSigningKey;
  /** A key response signed by the server's key; `extra` is merged in before signing. */
  response(validUntilTs: number, extra?: JsonObject): JsonObject;
  /** Signs any object as this server (a notary countersigning, say). */
  sign<T extends JsonObject>(object: T): T;
}

export function fakeServer(name: string): FakeServer {
  const key = generateSigningKey(nativeEd25519);
  const sign = <T extends JsonObject>(object: T) => signJson(object, name, key, nativeEd25519) as T;
  return {
    name,
    key,
    sign,
    response: (validUntilTs, extra = {}) =>
      sign({ server_name: name, verify_keys: { [key.keyId]: { key: encodeBase64(key.publicKey) } }, old_verify_keys: {}, valid_until_ts: validUntilTs, ...extra }),
  };
}

type Handler = (request: FederationRequest) => unknown;

export interface Call {
  destination: string;
  method: string;
  path: string;
  body?: JsonObject;
  signed: boolean;
}

/** Routes by destination; a destination without a handler is unreachable. */
export function fakeTransport() {
  const handlers = new Map<string, Handler>();
  const calls: Call[] = [];
  async function route(destination: string, request: FederationRequest, signed: boolean) {
    calls.push({ destination, method: request.method, path: request.path, body: request.body, signed });
    const handler = handlers.get(destination);
    if (!handler) throw new FederationRequestError(destination, "connection refused");
    return handler(request);
  }
  const transport: FederationTransport = {
    signed: async <T>(destination: string, request: FederationRequest) => (await route(destination, request, true)) as T,
    unsigned: async <T>(destination: string, path: string) => (await route(destination, { method: "GET", path }, false)) as T,
  };
  return {
    transport,
    calls,
    /** What `destination` answers (a value, or a function of the request; a throw is a failure). */
    serve(destination: string, handler: Handler) {
      handlers.set(destination, handler);
    },
    offline(destination: string) {
      handlers.delete(destination);
    },
    callsTo: (destination: string) => calls.filter((call) => call.destination === destination),
  };
}

/** Serves `server`'s key response at /_matrix/key/v2/server, valid for `validityMs` from `now()`. */
export function serveKeys(fake: ReturnType<typeof fakeTransport>, server: FakeServer, now: () => number, validityMs = 3600_000) {
  fake.serve(server.name, (request) => {
    if (request.path !== "/_matrix/key/v2/server") throw new FederationRequestError(server.name, "not found", 404, "M_UNRECOGNIZED");
    return server.response(now() + validityMs);
  });
}

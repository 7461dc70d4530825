// Homeservers that federate with each other inside one test process: each serves the
// federation resource over real HTTPS on 127.0.0.1 (the committed self-signed certificate in
// test/fixtures/tls), is named "127.0.0.1:<port>", skips certificate checks and whitelists
// 127.0.0.1, so that their federation clients reach each other. No database.
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Server } from "bun";
import { createApp, type AppServices } from "../../src/app.ts";
import type { ServerKeySource } from "../../src/auth/server-key-source.ts";
import { createServerKeys } from "../../src/auth/server-keys.ts";
import { generateSigningKey, type ServerSigningKey } from "../../src/auth/signing-key.ts";
import { xMatrixResolver } from "../../src/auth/x-matrix.ts";
import { loadConfig } from "../../src/config/load.ts";
import type { Config } from "../../src/config/verify.ts";
import { federationClientFromConfig } from "../../src/federation/client.ts";
import type { FederationTransport } from "../../src/federation/transport.ts";
import type { Endpoint } from "../../src/http/endpoint.ts";
import { RateLimiter } from "../../src/http/rate-limit.ts";
import { createRouter, type HttpApp } from "../../src/http/router.ts";
import { silentLogger } from "../../src/log/logger.ts";
import { tlsOptions } from "../../src/main.ts";
import { decodeBase64 } from "../../src/protocol/base64.ts";
import { canonicalJson } from "../../src/protocol/canonical-json.ts";
import { nativeEd25519 } from "../../src/protocol/ed25519.ts";

export const TLS_CERTIFICATE = join(import.meta.dir, "../fixtures/tls/cert.pem");
export const TLS_PRIVATE_KEY = join(import.meta.dir, "../fixtures/tls/key.pem");

/** Paths of endpoints that only tests register (served beside the production app). */
export const TEST_ENDPOINT_PREFIX = "/_matrix/federation/unstable/org.myelin.test/";

export interface FederationTestServer {
  serverName: string;
  config: Config;
  signingKey: ServerSigningKey;
  services: AppServices;
  /** This server's federation client. */
  federation: FederationTransport;
  stop(): Promise<void>;
}

/**
 * Stand-in for the real key fetcher: asks the server itself for /_matrix/key/v2/server over
 * `federation` and takes the key if it is listed and valid at that time (no signature check).
 */
export function directKeySource(federation: () => FederationTransport): ServerKeySource {
  return {
    async verifyKey(serverName, keyId, validAt) {
      const response = await federation().unsigned<{ server_name?: string; valid_until_ts?: number; verify_keys?: Record<string, { key?: string }> }>(
        serverName, "/_matrix/key/v2/server",
      );
      const key = response.verify_keys?.[keyId]?.key;
      if (response.server_name !== serverName || typeof key !== "string" || (response.valid_until_ts ?? 0) < validAt) return null;
      return decodeBase64(key);
    },
  };
}

function writeConfig(folder: string, serverName: string, port: number, extra: Record<string, unknown>): Config {
  const path = join(folder, "homeserver.yaml");
  const yaml = {
    server_name: serverName, data_directory: folder,
    listeners: [{ port, bind_addresses: ["127.0.0.1"], tls: true, resources: [{ names: ["federation"] }] }],
    tls_certificate_path: TLS_CERTIFICATE, tls_private_key_path: TLS_PRIVATE_KEY,
    federation_verify_certificates: false, ip_range_whitelist: ["127.0.0.1"],
    ...extra,
  };
  writeFileSync(path, JSON.stringify(yaml)); // JSON is YAML
  return loadConfig({ path });
}

/**
 * A homeserver on its own HTTPS port. `testEndpoints` are served too (paths under
 * TEST_ENDPOINT_PREFIX), with the same auth resolvers as the production app.
 */
export async function federationTestServer(options: {
  testEndpoints?: Endpoint[];
  config?: Record<string, unknown>;
  keySource?: (federation: () => FederationTransport) => ServerKeySource;
  /** The client's response cap (FEDERATION_MAX_RESPONSE_BYTES by default). */
  maxResponseBytes?: number;
} = {}): Promise<FederationTestServer> {
  const folder = mkdtempSync(join(tmpdir(), "myelin-federation-test-"));
  // Listen first (port 0) to learn the port the server name needs.
  const bootstrap = writeConfig(folder, "127.0.0.1", 0, options.config ?? {});
  let handler: ((request: Request, ip: string) => Promise<Response>) | undefined;
  const server: Server<undefined> = Bun.serve({
    hostname: "127.0.0.1", port: 0, tls: tlsOptions(bootstrap),
    fetch: (request, bun) => handler!(request, bun.requestIP(request)?.address ?? ""),
  });
  const serverName = `127.0.0.1:${server.port}`;
  const config = writeConfig(folder, serverName, server.port!, options.config ?? {});
  const signingKey = generateSigningKey(nativeEd25519);
  const federation = federationClientFromConfig({ config, signingKey, ed25519: nativeEd25519, canonicalJson, maxResponseBytes: options.maxResponseBytes });
  const keys = (options.keySource ?? directKeySource)(() => federation);
  const services: AppServices = {
    config, log: silentLogger, rateLimiter: new RateLimiter(), version: "test",
    serverKeys: createServerKeys({ serverName, signingKey, oldKeys: {}, validityMs: config.key_refresh_interval, ed25519: nativeEd25519, canonicalJson }),
    serverAuth: xMatrixResolver({ serverName, keys, ed25519: nativeEd25519, canonicalJson }),
  };
  const app = createApp(services, ["federation"]);
  const testApp: HttpApp = createRouter({
    endpoints: options.testEndpoints ?? [], log: silentLogger, maxBodySize: config.max_request_body_size,
    auth: { server: services.serverAuth! }, rateLimiter: services.rateLimiter, rateLimits: {}, trustForwardedFor: false,
  });
  handler = (request, ip) => (new URL(request.url).pathname.startsWith(TEST_ENDPOINT_PREFIX) ? testApp : app).handle(request, ip);
  return { serverName, config, signingKey, services, federation, stop: async () => void (await server.stop(true)) };
}

// Imports of the helper below (kept with it: this file is appended to, not rewritten).
import { createHomeserver } from "../../src/main.ts";
import { sharedEngine } from "./engine.ts";
import { createTestDatabase } from "./db.ts";
import { jsonCaller } from "./user-data.ts";

/**
 * A whole homeserver (fresh test database, every service from createHomeserver, its real key
 * fetcher) named "127.0.0.1:<port>" and serving the client and federation resources over HTTPS.
 * Tests speak the client API through `call` (app.handle, no TLS); servers reach each other over HTTPS.
 */
export async function federatedHomeserver(options: { config?: Record<string, unknown> } = {}) {
  const folder = mkdtempSync(join(tmpdir(), "myelin-federated-homeserver-"));
  const extra = {
    enable_registration: true, rc_exempt_loopback: true, trusted_key_servers: [], suppress_key_server_warning: true,
    media_store_path: join(folder, "media"), ...options.config,
  };
  let handler: ((request: Request, ip: string) => Promise<Response>) | undefined;
  const server: Server<undefined> = Bun.serve({
    hostname: "127.0.0.1", port: 0, tls: tlsOptions(writeConfig(folder, "127.0.0.1", 0, extra)),
    fetch: (request, bun) => handler!(request, bun.requestIP(request)?.address ?? ""),
  });
  const serverName = `127.0.0.1:${server.port}`;
  const config = writeConfig(folder, serverName, server.port!, extra);
  const db = await createTestDatabase();
  const signingKey = generateSigningKey(nativeEd25519);
  const homeserver = await createHomeserver({
    db: db.db, config, log: silentLogger, engine: await sharedEngine(), signingKey, rateLimiter: new RateLimiter(), lastSeenIntervalMs: null,
  });
  const app = createApp(homeserver.services, ["client", "federation"]);
  handler = (request, ip) => app.handle(request, ip);
  const call = jsonCaller(app);
  return {
    serverName, config, signingKey, db, services: homeserver.services, federation: homeserver.federation, call,
    /** Like call, but throws unless the status is 200. */
    async ok(method: string, path: string, body?: unknown, token?: string): Promise<any> {
      const res = await call(method, path, { body, token });
      if (res.status !== 200) throw new Error(`${serverName} ${method} ${path}: ${res.status} ${JSON.stringify(res.body)}`);
      return res.body;
    },
    async register(localpart: string): Promise<{ userId: string; deviceId: string; token: string }> {
      const res = await call("POST", "/_matrix/client/v3/register", { body: { username: localpart, password: "correct horse", auth: { type: "m.login.dummy" } } });
      if (res.status !== 200) throw new Error(`register ${localpart}: ${res.status} ${JSON.stringify(res.body)}`);
      return { userId: res.body.user_id, deviceId: res.body.device_id, token: res.body.access_token };
    },
    async stop() {
      homeserver.releaseWaiters();
      await server.stop(true);
      await homeserver.stop();
      await db.close();
    },
  };
}

export type FederatedHomeserver = Awaited<ReturnType<typeof federatedHomeserver>>;

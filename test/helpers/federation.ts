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

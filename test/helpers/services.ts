// Services for tests of the HTTP surface that need no database.
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { AppServices } from "../../src/app.ts";
import { createServerKeys } from "../../src/auth/server-keys.ts";
import { generateSigningKey } from "../../src/auth/signing-key.ts";
import { loadConfig } from "../../src/config/load.ts";
import { RateLimiter } from "../../src/http/rate-limit.ts";
import { createLogger, silentLogger, type Logger } from "../../src/log/logger.ts";
import { canonicalJson } from "../../src/protocol/canonical-json.ts";
import { nativeEd25519 } from "../../src/protocol/ed25519.ts";

/** Media uploaded by tests go to a folder of this test process (unless a test names its own). */
let mediaStore: string | undefined;
const testMediaStore = () => (mediaStore ??= mkdtempSync(join(tmpdir(), "myelin-test-media-")));

/** Config from MYELIN_* style overrides, e.g. { SERVER_NAME: "example.org" }. */
export function testConfig(overrides: Record<string, string> = {}) {
  const env = Object.fromEntries(Object.entries({ MEDIA_STORE_PATH: testMediaStore(), ...overrides }).map(([key, value]) => [`MYELIN_${key}`, value]));
  return loadConfig({ env, cwd: "/tmp" });
}

export function testServices(overrides: Record<string, string> = {}, log: Logger = silentLogger): AppServices {
  const config = testConfig(overrides);
  const signingKey = generateSigningKey(nativeEd25519);
  const serverKeys = createServerKeys({
    serverName: config.server_name,
    signingKey,
    oldKeys: config.old_signing_keys,
    validityMs: config.key_refresh_interval,
    ed25519: nativeEd25519,
    canonicalJson,
  });
  return { config, log, serverKeys, rateLimiter: new RateLimiter(), version: "test" };
}

/** A logger that keeps its lines, for tests that look at logs. */
export function capturingLogger(): { log: Logger; lines: Record<string, unknown>[] } {
  const lines: Record<string, unknown>[] = [];
  return { log: createLogger({ level: "debug", write: (line) => lines.push(JSON.parse(line)) }), lines };
}

export const get = (path: string, init: RequestInit = {}) => new Request(`http://localhost${path}`, init);

/** A response body as a loosely typed JSON object. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export const json = async (response: Response): Promise<any> => response.json();

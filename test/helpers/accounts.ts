// An app with account services over a fresh test database, and small request helpers.
import { createApp } from "../../src/app.ts";
import { createAccountServices } from "../../src/auth/accounts.ts";
import type { HttpApp } from "../../src/http/router.ts";
import { createTestDatabase, type TestDatabase } from "./db.ts";
import { testServices } from "./services.ts";

export interface AccountsTestServer {
  app: HttpApp;
  db: TestDatabase;
  services: ReturnType<typeof testServices> & { accounts: ReturnType<typeof createAccountServices> };
  /** A settable clock shared by every account service. */
  clock: { now: number };
  /** Sends JSON (or nothing) with an optional access token; `ip` is the peer address. */
  call(method: string, path: string, options?: { body?: unknown; token?: string; ip?: string }): Promise<{ status: number; body: any }>;
  close(): Promise<void>;
}

export async function accountsTestServer(overrides: Record<string, string> = {}): Promise<AccountsTestServer> {
  const db = await createTestDatabase();
  const base = testServices({ SERVER_NAME: "test.local", ...overrides });
  const clock = { now: Date.now() };
  const accounts = createAccountServices({ db: db.db, config: base.config, log: base.log, rateLimiter: base.rateLimiter, now: () => clock.now, lastSeenIntervalMs: null });
  const services = { ...base, accounts };
  const app = createApp(services, ["client"]);
  return {
    app, db, services, clock,
    async call(method, path, options = {}) {
      const headers: Record<string, string> = {};
      if (options.body !== undefined) headers["Content-Type"] = "application/json";
      if (options.token) headers.Authorization = `Bearer ${options.token}`;
      const response = await app.handle(
        new Request(`http://localhost${path}`, { method, headers, body: options.body === undefined ? undefined : JSON.stringify(options.body) }),
        options.ip ?? "10.0.0.1",
      );
      return { status: response.status, body: await response.json().catch(() => null) };
    },
    async close() {
      await accounts.lastSeen.stop();
      await db.close();
    },
  };
}

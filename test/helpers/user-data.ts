// An app with account and user-data services (profiles, account data, filters, devices, account
// management, capabilities) over a fresh test database, plus register/login helpers.
import { createApp } from "../../src/app.ts";
import type { HttpApp } from "../../src/http/router.ts";
import { createAccountServices } from "../../src/auth/accounts.ts";
import { createUserDataServices, type UserDataServices } from "../../src/auth/user-data.ts";
import type { MemberProfile } from "../../src/auth/profiles.ts";
import type { Engine } from "../../src/engine/index.ts";
import { sharedEngine } from "./engine.ts";
import { createTestDatabase, type TestDatabase } from "./db.ts";
import { testServices } from "./services.ts";

let engine: Promise<Engine> | undefined;

export interface Session {
  userId: string;
  deviceId: string;
  token: string;
}

export interface Response {
  status: number;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  body: any;
}

export async function userDataTestServer(overrides: Record<string, string> = {}) {
  const db: TestDatabase = await createTestDatabase();
  const base = testServices({ SERVER_NAME: "test.local", ENABLE_REGISTRATION: "true", RC_EXEMPT_LOOPBACK: "true", ...overrides });
  const accounts = createAccountServices({ db: db.db, config: base.config, log: base.log, rateLimiter: base.rateLimiter, lastSeenIntervalMs: null });
  /** What the hooks for later modules were called with. */
  const hooked = { memberProfiles: [] as [string, MemberProfile][], accountData: [] as [string, number][], devicesDeleted: [] as [string, string[]][], leftRooms: [] as string[] };
  const userData: UserDataServices = createUserDataServices({
    db: db.db,
    serverName: base.config.server_name,
    accounts,
    hooks: {
      memberProfileChanged: async (userId, profile) => void hooked.memberProfiles.push([userId, profile]),
      accountDataChanged: (userId, position) => void hooked.accountData.push([userId, position]),
      devicesDeleted: async (userId, ids) => void hooked.devicesDeleted.push([userId, [...ids]]),
      leaveAllRooms: async (userId) => void hooked.leftRooms.push(userId),
    },
  });
  const roomVersions = (await (engine ??= sharedEngine())).roomVersions;
  const app = createApp({ ...base, accounts, userData, roomVersions }, ["client"]);

  const call = jsonCaller(app);

  const session = (body: { user_id: string; device_id: string; access_token: string }): Session => ({
    userId: body.user_id,
    deviceId: body.device_id,
    token: body.access_token,
  });

  return {
    app, db, accounts, userData, hooked, call,
    config: base.config,
    /** Registers `localpart` with open registration (m.login.dummy). */
    async register(localpart: string, password = "correct horse"): Promise<Session> {
      const res = await call("POST", "/_matrix/client/v3/register", { body: { username: localpart, password, auth: { type: "m.login.dummy" } } });
      if (res.status !== 200) throw new Error(`register ${localpart}: ${res.status} ${JSON.stringify(res.body)}`);
      return session(res.body);
    },
    async registerGuest(): Promise<Session> {
      const res = await call("POST", "/_matrix/client/v3/register?kind=guest", { body: {} });
      if (res.status !== 200) throw new Error(`guest: ${res.status} ${JSON.stringify(res.body)}`);
      return session(res.body);
    },
    /** Logs in with a password; the Response, since some tests expect failures. */
    login(localpart: string, password: string, extra: Record<string, unknown> = {}): Promise<Response> {
      return call("POST", "/_matrix/client/v3/login", { body: { type: "m.login.password", identifier: { type: "m.id.user", user: localpart }, password, ...extra } });
    },
    async close() {
      await accounts.lastSeen.stop();
      await db.close();
    },
  };
}

export type JsonCall = (method: string, path: string, options?: { body?: unknown; token?: string; rawBody?: string }) => Promise<Response>;

/** Sends JSON (or a raw body) with an optional access token through app.handle, from 127.0.0.1. */
export function jsonCaller(app: Pick<HttpApp, "handle">): JsonCall {
  return async (method, path, options = {}) => {
    const headers: Record<string, string> = {};
    if (options.body !== undefined || options.rawBody !== undefined) headers["Content-Type"] = "application/json";
    if (options.token) headers.Authorization = `Bearer ${options.token}`;
    const body = options.rawBody ?? (options.body === undefined ? undefined : JSON.stringify(options.body));
    const response = await app.handle(new Request(`http://localhost${path}`, { method, headers, body }), "127.0.0.1");
    return { status: response.status, body: await response.json().catch(() => null) };
  };
}

export type UserDataTestServer = Awaited<ReturnType<typeof userDataTestServer>>;

/** An m.login.password UIA auth dict for `session.userId`. */
export const passwordAuth = (userId: string, password: string, uiaSession?: string) => ({
  type: "m.login.password",
  identifier: { type: "m.id.user", user: userId },
  password,
  ...(uiaSession ? { session: uiaSession } : {}),
});

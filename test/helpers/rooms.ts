// An app with accounts, user data and rooms over a fresh test database, with helpers that
// speak the client API the way clients do (register, createRoom, send, join, ...).
import { createApp, type AppServices } from "../../src/app.ts";
import { generateSigningKey } from "../../src/auth/signing-key.ts";
import type { Engine } from "../../src/engine/index.ts";
import { sharedEngine } from "./engine.ts";
import { createHomeserver } from "../../src/main.ts";
import { nativeEd25519 } from "../../src/protocol/ed25519.ts";
import { createTestDatabase } from "./db.ts";
import { testServices } from "./services.ts";
import { jsonCaller, type Response, type Session } from "./user-data.ts";

export type { Response, Session } from "./user-data.ts";

let engine: Promise<Engine> | undefined;

/** The services every rooms test server has. */
type ServiceName = "accounts" | "userData" | "rooms" | "ephemeral" | "presence" | "push" | "sync" | "keys" | "crossSigning" | "keyBackup";

export async function roomsTestServer(overrides: Record<string, string> = {}) {
  const db = await createTestDatabase();
  const base = testServices({ SERVER_NAME: "test.local", ENABLE_REGISTRATION: "true", RC_EXEMPT_LOOPBACK: "true", RC_MESSAGE__PER_SECOND: "100000", RC_MESSAGE__BURST_COUNT: "100000", ...overrides });
  const loaded = await (engine ??= sharedEngine());
  const clock = { offset: 0 };
  const now = () => Date.now() + clock.offset;
  const homeserver = await createHomeserver({
    db: db.db, config: base.config, log: base.log, engine: loaded, signingKey: generateSigningKey(nativeEd25519),
    rateLimiter: base.rateLimiter, now, lastSeenIntervalMs: null,
  });
  const services = { ...base, ...homeserver.services } as typeof base & Required<Pick<AppServices, ServiceName>>;
  const { accounts, userData, rooms, ephemeral, sync } = services;
  const app = createApp(services, ["client"]);

  const call = jsonCaller(app);
  /** Like call, but throws unless the status is 200. */
  async function ok(method: string, path: string, options: { body?: unknown; token?: string } = {}): Promise<any> {
    const res = await call(method, path, options);
    if (res.status !== 200) throw new Error(`${method} ${path}: ${res.status} ${JSON.stringify(res.body)}`);
    return res.body;
  }
  let txn = 0;
  const enc = encodeURIComponent;
  const v3 = "/_matrix/client/v3";

  return {
    app, db, accounts, userData, rooms, ephemeral, syncServices: sync, services, call, ok, clock, engine: loaded,
    config: base.config,
    async register(localpart: string, password = "correct horse"): Promise<Session> {
      const body = await ok("POST", `${v3}/register`, { body: { username: localpart, password, auth: { type: "m.login.dummy" } } });
      return { userId: body.user_id, deviceId: body.device_id, token: body.access_token };
    },
    async registerGuest(): Promise<Session> {
      const body = await ok("POST", `${v3}/register?kind=guest`, { body: {} });
      return { userId: body.user_id, deviceId: body.device_id, token: body.access_token };
    },
    async createRoom(user: Session, body: Record<string, unknown> = {}): Promise<string> {
      return (await ok("POST", `${v3}/createRoom`, { token: user.token, body })).room_id;
    },
    async join(user: Session, roomIdOrAlias: string): Promise<Response> {
      return call("POST", `${v3}/join/${enc(roomIdOrAlias)}`, { token: user.token, body: {} });
    },
    async invite(user: Session, roomId: string, target: string): Promise<Response> {
      return call("POST", `${v3}/rooms/${enc(roomId)}/invite`, { token: user.token, body: { user_id: target } });
    },
    send(user: Session, roomId: string, content: Record<string, unknown>, type = "m.room.message", txnId = `t${++txn}`): Promise<Response> {
      return call("PUT", `${v3}/rooms/${enc(roomId)}/send/${enc(type)}/${enc(txnId)}`, { token: user.token, body: content });
    },
    async sendText(user: Session, roomId: string, body: string): Promise<string> {
      const res = await call("PUT", `${v3}/rooms/${enc(roomId)}/send/m.room.message/t${++txn}`, { token: user.token, body: { msgtype: "m.text", body } });
      if (res.status !== 200) throw new Error(`send: ${res.status} ${JSON.stringify(res.body)}`);
      return res.body.event_id;
    },
    setState(user: Session, roomId: string, type: string, stateKey: string, content: Record<string, unknown>): Promise<Response> {
      return call("PUT", `${v3}/rooms/${enc(roomId)}/state/${enc(type)}/${enc(stateKey)}`, { token: user.token, body: content });
    },
    getState(user: Session, roomId: string, type: string, stateKey = ""): Promise<Response> {
      return call("GET", `${v3}/rooms/${enc(roomId)}/state/${enc(type)}/${enc(stateKey)}`, { token: user.token });
    },
    /** GET /sync as `user` with these query parameters (objects are sent as JSON, e.g. an inline filter). */
    async sync(user: Session, params: Record<string, unknown> = {}): Promise<Response> {
      const query = new URLSearchParams(Object.entries(params).map(([k, v]): [string, string] => [k, typeof v === "string" ? v : JSON.stringify(v)]));
      return call("GET", `${v3}/sync?${query}`, { token: user.token });
    },
    async close() {
      homeserver.releaseWaiters();
      await homeserver.stop();
      await db.close();
    },
  };
}

export type RoomsTestServer = Awaited<ReturnType<typeof roomsTestServer>>;

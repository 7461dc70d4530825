// A router with the ephemeral room endpoints (typing, receipts, read markers, tags, reports) plus
// registration and account data, over a fresh test database and a fake RoomReader; a fake clock
// drives typing timeouts. Until the rooms core is wired, rooms and events come from the fake.
import { accessTokenResolver } from "../../src/api/access-token.ts";
import { accountDataEndpoints } from "../../src/api/client/account-data.ts";
import { readMarkerEndpoints } from "../../src/api/client/read-markers.ts";
import { receiptEndpoints } from "../../src/api/client/receipts.ts";
import { registerEndpoints } from "../../src/api/client/register.ts";
import { reportEndpoints } from "../../src/api/client/reports.ts";
import { tagEndpoints } from "../../src/api/client/tags.ts";
import { typingEndpoints } from "../../src/api/client/typing.ts";
import { createAccountServices } from "../../src/auth/accounts.ts";
import { createUserDataServices } from "../../src/auth/user-data.ts";
import { createRouter } from "../../src/http/router.ts";
import { createRoomBus } from "../../src/rooms/bus.ts";
import { createRoomEphemeralServices } from "../../src/rooms/ephemeral.ts";
import { createTestDatabase } from "../helpers/db.ts";
import { testServices } from "../helpers/services.ts";
import { fakeRoomReader, fakeTime } from "../rooms/ephemeral-fakes.ts";

export interface Session {
  userId: string;
  token: string;
}

export async function roomEphemeralTestServer() {
  const db = await createTestDatabase();
  const base = testServices({ SERVER_NAME: "test.local", ENABLE_REGISTRATION: "true" });
  const accounts = createAccountServices({ db: db.db, config: base.config, log: base.log, rateLimiter: base.rateLimiter, lastSeenIntervalMs: null });
  const userData = createUserDataServices({ db: db.db, serverName: base.config.server_name, accounts });
  const rooms = fakeRoomReader();
  const time = fakeTime(Date.now());
  const bus = createRoomBus((error) => {
    throw error;
  });
  const hooked = { typing: [] as [string, number][], receipts: [] as [string, number][] };
  const ephemeral = createRoomEphemeralServices({
    db: db.db,
    rooms: rooms.reader,
    accountData: userData.accountData,
    serverName: base.config.server_name,
    userExists: async (userId) => (await accounts.repo.getUser(userId)) !== undefined,
    bus,
    now: time.now,
    timers: time.timers,
    hooks: { typingChanged: (...args) => void hooked.typing.push(args), receiptsChanged: (...args) => void hooked.receipts.push(args) },
  });
  const app = createRouter({
    endpoints: [
      ...registerEndpoints(accounts.registration),
      ...accountDataEndpoints(userData.accountData),
      ...typingEndpoints(ephemeral.typing),
      ...receiptEndpoints(ephemeral.receipts),
      ...readMarkerEndpoints(ephemeral.readMarkers),
      ...tagEndpoints(ephemeral.tags),
      ...reportEndpoints(ephemeral.reports),
    ],
    log: base.log,
    maxBodySize: base.config.max_request_body_size,
    auth: { accessToken: accessTokenResolver(accounts.tokens) },
    rateLimiter: base.rateLimiter,
    rateLimits: { rc_message: base.config.rc_message, rc_registration_token_validity: base.config.rc_registration_token_validity },
    rateLimitExempt: () => true,
    trustForwardedFor: false,
  });

  async function call(method: string, path: string, options: { body?: unknown; token?: string; rawBody?: string } = {}) {
    const headers: Record<string, string> = {};
    if (options.body !== undefined || options.rawBody !== undefined) headers["Content-Type"] = "application/json";
    if (options.token) headers.Authorization = `Bearer ${options.token}`;
    const body = options.rawBody ?? (options.body === undefined ? undefined : JSON.stringify(options.body));
    const response = await app.handle(new Request(`http://localhost${path}`, { method, headers, body }), "127.0.0.1");
    // eslint-disable-next-line @typescript-eslint/no-explicit-any
    return { status: response.status, body: (await response.json().catch(() => null)) as any };
  }

  return {
    db, rooms, time, hooked, ephemeral, call, bus,
    async register(localpart: string): Promise<Session> {
      const res = await call("POST", "/_matrix/client/v3/register", { body: { username: localpart, password: "correct horse", auth: { type: "m.login.dummy" } } });
      if (res.status !== 200) throw new Error(`register ${localpart}: ${res.status} ${JSON.stringify(res.body)}`);
      return { userId: res.body.user_id, token: res.body.access_token };
    },
    /** An events row (what the receipts repo reads: stream order and relation), in `roomId`. */
    async insertEvent(roomId: string, eventId: string, relation?: { relatesTo: string; relType: string }) {
      await db.sql`insert into events (event_id, room_id, depth, type, sender, origin_server_ts, json, relates_to, rel_type)
        values (${eventId}, ${roomId}, 1, 'm.room.message', '@x:test.local', 0, '{}', ${relation?.relatesTo ?? null}, ${relation?.relType ?? null})`;
      rooms.addEvent(roomId, eventId);
    },
    async close() {
      ephemeral.typing.close();
      await accounts.lastSeen.stop();
      await db.close();
    },
  };
}

export type RoomEphemeralTestServer = Awaited<ReturnType<typeof roomEphemeralTestServer>>;

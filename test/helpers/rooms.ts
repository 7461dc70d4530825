// An app with accounts, user data and rooms over a fresh test database, with helpers that
// speak the client API the way clients do (register, createRoom, send, join, ...).
import { createApp } from "../../src/app.ts";
import { createAccountServices } from "../../src/auth/accounts.ts";
import { generateSigningKey } from "../../src/auth/signing-key.ts";
import { createUserDataServices } from "../../src/auth/user-data.ts";
import { ed25519Signer, loadEngine, type Engine } from "../../src/engine/index.ts";
import { nativeEd25519 } from "../../src/protocol/ed25519.ts";
import { createRoomServices, roomEventInfo } from "../../src/rooms/index.ts";
import { createRoomEphemeralServices } from "../../src/rooms/ephemeral.ts";
import { createPushServices } from "../../src/push/index.ts";
import { createPresenceServices } from "../../src/sync/presence.ts";
import { createSyncNotifier, createSyncServices } from "../../src/sync/index.ts";
import { createDeviceLists } from "../../src/sync/device-lists.ts";
import { createKeyServices } from "../../src/auth/keys.ts";
import { createCrossSigning } from "../../src/auth/cross-signing.ts";
import { createKeyBackup } from "../../src/auth/key-backup.ts";
import { createCrossSigningRepo } from "../../src/storage/repos/cross-signing.ts";
import { createDeviceKeysRepo } from "../../src/storage/repos/device-keys.ts";
import { createKeyBackupRepo } from "../../src/storage/repos/key-backup.ts";
import { createProfilesRepo } from "../../src/storage/repos/profiles.ts";
import { createTestDatabase } from "./db.ts";
import { testServices } from "./services.ts";
import { jsonCaller, type Response, type Session } from "./user-data.ts";

export type { Response, Session } from "./user-data.ts";

let engine: Promise<Engine> | undefined;

export async function roomsTestServer(overrides: Record<string, string> = {}) {
  const db = await createTestDatabase();
  const base = testServices({ SERVER_NAME: "test.local", ENABLE_REGISTRATION: "true", RC_EXEMPT_LOOPBACK: "true", RC_MESSAGE__PER_SECOND: "100000", RC_MESSAGE__BURST_COUNT: "100000", ...overrides });
  const loaded = await (engine ??= loadEngine());
  const clock = { offset: 0 };
  const now = () => Date.now() + clock.offset;
  const accounts = createAccountServices({ db: db.db, config: base.config, log: base.log, rateLimiter: base.rateLimiter, lastSeenIntervalMs: null });
  const profilesRepo = createProfilesRepo(db.db);
  const rooms = await createRoomServices({
    db: db.db, engine: loaded, log: base.log, now,
    signer: ed25519Signer(base.config.server_name, generateSigningKey(nativeEd25519), nativeEd25519),
    defaultRoomVersion: base.config.default_room_version,
    profileOf: (userId) => profilesRepo.get(userId),
    userDirectory: { enabled: base.config.user_directory.enabled, searchAllUsers: base.config.user_directory.search_all_users },
  });
  const notifier = createSyncNotifier(rooms);
  const deviceLists = await createDeviceLists({ db: db.db, notifier });
  const deviceKeysRepo = createDeviceKeysRepo(db.db);
  const crossSigning = createCrossSigning({
    repo: createCrossSigningRepo(db.db), uia: accounts.uia, ed25519: nativeEd25519,
    crossSigningChanged: async (userId) => deviceLists.changed(userId, await deviceKeysRepo.recordDeviceListChange(userId)),
  });
  const keys = { ...createKeyServices({ db: db.db, ed25519: nativeEd25519, serverName: base.config.server_name, deviceListChanged: deviceLists.changed, crossSigningKeys: crossSigning.crossSigningKeys }), deviceLists };
  const userData = createUserDataServices({
    db: db.db, serverName: base.config.server_name, accounts,
    hooks: {
      memberProfileChanged: (userId) => rooms.membership.profileChanged(userId), leaveAllRooms: (userId) => rooms.membership.leaveAll(userId),
      accountDataChanged: notifier.accountDataChanged,
      // Deleted devices lose their keys (a device list change) and their sliding sync connections.
        devicesDeleted: async (userId, deviceIds) => {
          await keys.deviceKeys.devicesDeleted(userId, deviceIds);
          sync?.slidingSync.forgetDevices(userId, deviceIds);
        },
    },
  });
  const push = await createPushServices({ db: db.db, engine: loaded, rooms, serverName: base.config.server_name, log: base.log, now });
  const ephemeral = createRoomEphemeralServices({
    db: db.db, rooms: rooms.reader, accountData: userData.accountData, serverName: base.config.server_name, bus: rooms.bus, now,
    userExists: async (userId) => (await accounts.repo.getUser(userId)) !== undefined,
    events: roomEventInfo(rooms),
    hooks: {
      typingChanged: notifier.typingChanged,
      receiptsChanged: (roomId, position) => (notifier.receiptsChanged(roomId, position), push.unreadCounts.receiptsChanged(roomId, position)),
    },
  });
  // Presence timeouts: tests move clock.offset and call presence.checkTimeouts().
  const presence = await createPresenceServices({
    db: db.db, config: base.config.presence, serverName: base.config.server_name, log: base.log, bus: rooms.bus, now,
    userExists: async (userId) => (await accounts.repo.getUser(userId)) !== undefined,
  });
  const sync = await createSyncServices({ db: db.db, notifier, rooms, ephemeral, filters: userData.filters, presence, now, unreadCounts: push.unreadCounts, pushRules: push.pushRulesSource, deviceLists, deviceKeys: keys.deviceKeys });
  const services = { ...base, accounts, userData, rooms, ephemeral, presence, push, sync, keys, crossSigning, keyBackup: createKeyBackup({ repo: createKeyBackupRepo(db.db) }), roomVersions: loaded.roomVersions };
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
      sync.notifier.close();
      ephemeral.typing.close();
      await push.close();
      await presence.stop();
      await accounts.lastSeen.stop();
      await db.close();
    },
  };
}

export type RoomsTestServer = Awaited<ReturnType<typeof roomsTestServer>>;

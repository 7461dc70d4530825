// The composition root: config -> lock -> database -> migrations -> services -> listeners.
// The only place that wires concrete implementations together.
import { existsSync, readFileSync } from "node:fs";
import { mkdir } from "node:fs/promises";
import type { Server } from "bun";
import { createApp, type AppServices } from "./app.ts";
import { createAccountServices } from "./auth/accounts.ts";
import { loadAppServices, prepareAppServiceUsers } from "./auth/appservices.ts";
import { createServerKeys } from "./auth/server-keys.ts";
import type { ServerKeySource } from "./auth/server-key-source.ts";
import { xMatrixResolver } from "./auth/x-matrix.ts";
import { federationClientFromConfig } from "./federation/client.ts";
import type { FederationTransport } from "./federation/transport.ts";
import { createRemoteServerKeys, warnAboutDefaultKeyServer } from "./federation/server-keys.ts";
import { createKeyNotary } from "./federation/server-keys-serve.ts";
import { createRemoteAliases, createRemoteProfiles } from "./federation/queries.ts";
import { createRemoteDeviceKeys } from "./federation/queries-keys.ts";
import { createQueryAnswers } from "./federation/queries-serve.ts";
import { createServerKeysRepo } from "./storage/repos/server-keys.ts";
import { loadOrCreateSigningKey } from "./auth/signing-key.ts";
import type { ServerSigningKey } from "./auth/signing-key.ts";
import { createUserDataServices } from "./auth/user-data.ts";
import type { Config } from "./config/verify.ts";
import { ed25519Signer, loadEngine, type Engine } from "./engine/index.ts";
import { createRoomServices, roomEventInfo } from "./rooms/index.ts";
import { createRoomEphemeralServices } from "./rooms/ephemeral.ts";
import { createAdminServices } from "./rooms/admin-services.ts";
import { createModeration } from "./rooms/admin-moderation.ts";
import { createAdminModerationRepo } from "./storage/repos/admin-moderation.ts";
import { createOpenIdTokens } from "./auth/openid-tokens.ts";
import { createMutualRooms } from "./rooms/mutual-rooms.ts";
import { createMutualRoomsRepo } from "./storage/repos/mutual-rooms.ts";
import { createRoomSummaries } from "./rooms/room-summary.ts";
import { createRoomDirectoryRepo } from "./storage/repos/room-directory.ts";
import { createPushServices } from "./push/index.ts";
import { createAppServicePush } from "./appservice/index.ts";
import { createAppServiceQueries } from "./appservice/queries.ts";
import { createAppServiceClient } from "./auth/appservice-client.ts";
import { createPresenceServices } from "./sync/presence.ts";
import { createSyncNotifier, createSyncServices } from "./sync/index.ts";
import { createDeviceLists } from "./sync/device-lists.ts";
import { createKeyServices } from "./auth/keys.ts";
import { createCrossSigning } from "./auth/cross-signing.ts";
import { createKeyBackup } from "./auth/key-backup.ts";
import { createMediaServices } from "./media/index.ts";
import { createFederationMedia } from "./media/federation-serve.ts";
import { createRemotePublicRooms } from "./federation/public-rooms.ts";
import { withRemotePublicRooms } from "./rooms/public-rooms.ts";
import { createCrossSigningRepo } from "./storage/repos/cross-signing.ts";
import { createDeviceKeysRepo } from "./storage/repos/device-keys.ts";
import { createKeyBackupRepo } from "./storage/repos/key-backup.ts";
import { createProfilesRepo } from "./storage/repos/profiles.ts";
import { RateLimiter } from "./http/rate-limit.ts";
import type { Logger } from "./log/logger.ts";
import { nativeEd25519 } from "./protocol/ed25519.ts";
import { acquireDataDirectoryLock } from "./storage/data-dir-lock.ts";
import { createDb, type Database, type Db } from "./storage/db.ts";
import type { PostgresBinaries } from "./storage/embedded/binaries.ts";
import { applyMigrations, type Migration } from "./storage/migrate.ts";
import { checkServerName } from "./storage/repos/server-meta.ts";
import pkg from "../package.json" with { type: "json" };

export const VERSION: string = pkg.version;

/** What differs between a source checkout and the single binary: where bundled files come from. */
export interface RuntimeAssets {
  postgresBinaries(dataDirectory: string, log: Logger): Promise<PostgresBinaries>;
  migrations(): Promise<Migration[]>;
}

export interface RunningServer {
  /** Bound addresses, e.g. "http://127.0.0.1:8008", in listener order. */
  urls: string[];
  /** Stops accepting, lets requests in flight finish, then closes the database and the lock. */
  stop(): Promise<void>;
}

/** Opens the data folder and database with migrations applied; shared by `serve` and `migrate`. */
async function openStorage(config: Config, log: Logger, assets: RuntimeAssets) {
  await mkdir(config.data_directory, { recursive: true });
  const lock = await acquireDataDirectoryLock(config.data_directory);
  let db: Database | undefined;
  try {
    const binaries = config.database.name === "embedded" ? await assets.postgresBinaries(config.data_directory, log) : undefined;
    db = await createDb({ database: config.database, dataDirectory: config.data_directory, binaries, log });
    await applyMigrations(db.sql, await assets.migrations(), log);
    await checkServerName(db.db, config.server_name);
    return { db, lock };
  } catch (error) {
    await db?.close().catch(() => {});
    lock.release();
    throw error;
  }
}

export async function migrate(config: Config, log: Logger, assets: RuntimeAssets): Promise<void> {
  const { db, lock } = await openStorage(config, log, assets);
  await db.close();
  lock.release();
}

/** Runs `task` with the database open and migrated (admin commands such as register-user). */
export async function withDatabase<T>(config: Config, log: Logger, assets: RuntimeAssets, task: (db: Database) => Promise<T>): Promise<T> {
  const { db, lock } = await openStorage(config, log, assets);
  try {
    return await task(db);
  } finally {
    await db.close();
    lock.release();
  }
}

export function tlsOptions(config: Config) {
  const certificate = config.tls_certificate_path!;
  const key = config.tls_private_key_path!;
  for (const path of [certificate, key]) {
    if (!existsSync(path)) throw new Error(`TLS file ${path} does not exist`);
  }
  return { cert: readFileSync(certificate, "utf8"), key: readFileSync(key, "utf8") };
}

/** The services of a running homeserver, and how to wind them down. */
export interface Homeserver {
  services: AppServices;
  /** Requests to other homeservers. */
  federation: FederationTransport;
  /** Answers waiting long polls at once (first step of a shutdown, before listeners stop). */
  releaseWaiters(): void;
  /** Stops timers and queues (typing, push, presence, last-seen); the database stays open. */
  stop(): Promise<void>;
}

/**
 * Builds every service over an open, migrated database: the one wiring of the modules, shared
 * by `startServer` and the tests. Hooks are filled at construction; modules that keep data per
 * device subscribe to the accounts' device events once they exist.
 */
export async function createHomeserver(options: {
  db: Db;
  config: Config;
  log: Logger;
  engine: Engine;
  signingKey: ServerSigningKey;
  rateLimiter: RateLimiter;
  /** A clock for tests (rooms, push, receipts and typing, presence, sync); Date.now by default. */
  now?: () => number;
  /** Flush interval of last-seen data; null: only on stop (tests). */
  lastSeenIntervalMs?: number | null;
  /** Other servers' keys, to check their X-Matrix requests; the key fetcher over `federation` by default. */
  serverKeySource?: ServerKeySource;
}): Promise<Homeserver> {
  const { db, config, log, engine, now } = options;
  const stops: (() => Promise<void> | void)[] = [];
  const stop = async () => {
    for (const step of stops.reverse()) await step();
  };
  try {
    // First: profiles, aliases and device keys of other servers' users are asked of them through it.
    const federation = federationClientFromConfig({ config, signingKey: options.signingKey, ed25519: nativeEd25519, canonicalJson: engine.canonicalJson });
    // Application services' registration files: a bad one stops the start (ConfigError).
    const appServices = loadAppServices(config.app_service_config_files, config.server_name);
    const accounts = createAccountServices({ db, config, log, rateLimiter: options.rateLimiter, lastSeenIntervalMs: options.lastSeenIntervalMs, appServices });
    await prepareAppServiceUsers(appServices, accounts.repo, now ?? Date.now);
    stops.push(() => accounts.lastSeen.stop());
    const profilesRepo = createProfilesRepo(db);
    // Blocked rooms and suspended accounts (admin API), consulted by membership and sends.
    const moderation = await createModeration({ repo: createAdminModerationRepo(db), now });
    const userExists = async (userId: string) => (await accounts.repo.getUser(userId)) !== undefined;
    // Application services' user and alias queries, which rooms asks for unknown invitees and aliases.
    const appServiceQueries = createAppServiceQueries({ registry: appServices, userExists, log, client: createAppServiceClient() });
    const rooms = await createRoomServices({
      db, engine, log, now, moderation, signer: ed25519Signer(config.server_name, options.signingKey, nativeEd25519),
      defaultRoomVersion: config.default_room_version,
      profileOf: (userId) => profilesRepo.get(userId),
      userDirectory: { enabled: config.user_directory.enabled, searchAllUsers: config.user_directory.search_all_users },
      remoteAliases: createRemoteAliases({ transport: federation }), appServices, appServiceQueries,
    });
    // Built before the services whose changes wake long-polling syncs (their hooks).
    const notifier = createSyncNotifier(rooms);
    const deviceLists = await createDeviceLists({ db, notifier });
    // New cross-signing keys or signatures are a device list change of their user.
    const deviceKeysRepo = createDeviceKeysRepo(db);
    const crossSigning = createCrossSigning({
      repo: createCrossSigningRepo(db), uia: accounts.uia, ed25519: nativeEd25519,
      crossSigningChanged: async (userId) => deviceLists.changed(userId, await deviceKeysRepo.recordDeviceListChange(userId)),
    });
    const remoteDeviceKeys = createRemoteDeviceKeys({ transport: federation, ed25519: nativeEd25519, canonicalJson: engine.canonicalJson });
    const keys = { ...createKeyServices({ db, ed25519: nativeEd25519, serverName: config.server_name, deviceListChanged: deviceLists.changed, crossSigningKeys: crossSigning.crossSigningKeys, remoteDeviceKeys }), deviceLists };
    // Deactivation's first step (the user's own and the admin API's); every pusher of the user goes
    // too (those of its devices also go with the devices). `push` exists by the time an account can deactivate.
    const leaveAllRooms = async (userId: string) => (await push.pushers.userDeactivated(userId), rooms.membership.leaveAll(userId));
    const userData = createUserDataServices({
      db, serverName: config.server_name, accounts, remoteProfiles: createRemoteProfiles({ transport: federation, now }),
      hooks: {
        memberProfileChanged: (userId) => rooms.membership.profileChanged(userId),
        leaveAllRooms,
        accountDataChanged: notifier.accountDataChanged,
        // Deleted devices lose their keys: a device list change.
        devicesDeleted: keys.deviceKeys.devicesDeleted,
      },
    });
    const push = await createPushServices({ db, engine, rooms, serverName: config.server_name, log, now, config });
    stops.push(() => push.close());
    // Pushers go with the device whose token set them (logout, device deletion).
    accounts.deviceEvents.subscribe((userId, deviceIds) => push.pushers.devicesDeleted(userId, deviceIds));
    // Events, typing and receipts to application services; their user and alias queries for rooms.
    const appServicePush = await createAppServicePush({
      db, registry: appServices, rooms, serverName: config.server_name, log, now,
      ephemeralSources: { typingUsers: (roomId) => ephemeral.typing.typingUsers(roomId), receiptChanges: (...args) => ephemeral.receipts.changes(...args) },
    });
    stops.push(() => appServicePush.close());
    const ephemeral = createRoomEphemeralServices({
      db, rooms: rooms.reader, accountData: userData.accountData, serverName: config.server_name, bus: rooms.bus, now, userExists,
      events: roomEventInfo(rooms),
      hooks: {
        typingChanged: (roomId, position) => (notifier.typingChanged(roomId, position), appServicePush.ephemeral.typingChanged(roomId, position)),
        // A moved receipt wakes the user's syncs and clears their notification counts.
        receiptsChanged: (roomId, position) => (
          notifier.receiptsChanged(roomId, position), push.unreadCounts.receiptsChanged(roomId, position), appServicePush.ephemeral.receiptsChanged(roomId, position)
        ),
      },
    });
    stops.push(() => ephemeral.typing.close());
    const presence = await createPresenceServices({ db, config: config.presence, serverName: config.server_name, log, bus: rooms.bus, now, userExists });
    stops.push(() => presence.stop());
    const sync = await createSyncServices({
      db, notifier, rooms, ephemeral, filters: userData.filters, presence, now, unreadCounts: push.unreadCounts, pushRules: push.pushRulesSource,
      deviceLists, deviceKeys: keys.deviceKeys,
    });
    // A deleted device's sliding sync connections go with it.
    accounts.deviceEvents.subscribe(async (userId, deviceIds) => sync.slidingSync.forgetDevices(userId, deviceIds));
    // Other servers' media comes through the federation client's byte-answer sibling.
    const media = createMediaServices({ db, config, log, now, federation: federation.media });
    stops.push(async () => media.close());
    const serverKeys = createServerKeys({
      serverName: config.server_name,
      signingKey: options.signingKey,
      oldKeys: config.old_signing_keys,
      validityMs: config.key_refresh_interval,
      ed25519: nativeEd25519,
      canonicalJson: engine.canonicalJson,
    });
    const remoteServerKeys = createRemoteServerKeys({
      own: serverKeys, transport: federation, repo: createServerKeysRepo(db), trustedKeyServers: config.trusted_key_servers,
      log, now, ed25519: nativeEd25519, canonicalJson: engine.canonicalJson,
    });
    const admin = createAdminServices({
      db, serverName: config.server_name, version: VERSION, accounts, userData, rooms, leaveAllRooms, now, moderation,
    });
    const services: AppServices = {
      config, log, version: VERSION, rateLimiter: options.rateLimiter,
      serverAuth: xMatrixResolver({
        serverName: config.server_name, keys: options.serverKeySource ?? remoteServerKeys, ed25519: nativeEd25519, canonicalJson: engine.canonicalJson, now,
      }),
      accounts, userData, ephemeral,
      // publicRooms?server=<another> asks that server (rooms never imports federation).
      rooms: { ...rooms, publicRooms: withRemotePublicRooms(rooms.publicRooms, { serverName: config.server_name, remote: createRemotePublicRooms({ transport: federation }) }) },
      presence, sync, keys, crossSigning, push, appServices, appServicePush,
      keyBackup: createKeyBackup({ repo: createKeyBackupRepo(db) }),
      media, admin,
      roomVersions: engine.roomVersions,
      serverKeys,
      keyNotary: createKeyNotary(remoteServerKeys, serverKeys),
      federationQueries: createQueryAnswers({ serverName: config.server_name, profiles: userData.profiles, directory: rooms.directory }),
      federationMedia: createFederationMedia(media),
      openIdTokens: createOpenIdTokens({ serverName: config.server_name, now }),
      mutualRooms: createMutualRooms({ repo: createMutualRoomsRepo(db) }),
      roomSummaries: createRoomSummaries({ heads: rooms.heads, cache: rooms.cache, directory: rooms.directory, repo: createRoomDirectoryRepo(db) }),
    };
    return { services, federation, releaseWaiters: () => sync.notifier.close(), stop };
  } catch (error) {
    await stop().catch(() => {});
    throw error;
  }
}

export async function startServer(config: Config, log: Logger, assets: RuntimeAssets): Promise<RunningServer> {
  // Read TLS files first: a typo there should not cost a database start.
  const tls = config.listeners.some((listener) => listener.tls) ? tlsOptions(config) : undefined;
  const { db, lock } = await openStorage(config, log, assets);
  const servers: Server<undefined>[] = [];
  let homeserver: Homeserver | undefined;
  try {
    const engine = await loadEngine();
    const { key, created } = loadOrCreateSigningKey(config.signing_key_path, nativeEd25519);
    if (created) log.info("created signing key", { path: config.signing_key_path, key_id: key.keyId });
    warnAboutDefaultKeyServer(config, log);
    homeserver = await createHomeserver({ db: db.db, config, log, engine, signingKey: key, rateLimiter: new RateLimiter() });
    const { services } = homeserver;
    // Bun's own cap is a backstop; readBody enforces the configured limits with the spec's error.
    const maxRequestBodySize = Math.max(config.max_upload_size, config.max_request_body_size) + 65_536;
    for (const listener of config.listeners) {
      const app = createApp(services, listener.resources.flatMap((resource) => resource.names), { trustForwardedFor: listener.x_forwarded });
      for (const hostname of listener.bind_addresses) {
        servers.push(
          Bun.serve({
            hostname,
            port: listener.port,
            tls: listener.tls ? tls : undefined,
            maxRequestBodySize,
            // Long-polling requests (sync) hold connections open; Bun's limit is 255 s.
            idleTimeout: 120,
            fetch: (request, server) => app.handle(request, server.requestIP(request)?.address ?? ""),
          }),
        );
      }
    }
  } catch (error) {
    for (const server of servers) server.stop(true);
    await homeserver?.stop().catch(() => {});
    await db.close().catch(() => {});
    lock.release();
    throw error;
  }
  const urls = servers.map((server) => server.url.href.replace(/\/$/, ""));
  log.info("listening", { urls, server_name: config.server_name, version: VERSION, database: config.database.name });

  let stopping: Promise<void> | undefined;
  return {
    urls,
    stop: () =>
      (stopping ??= (async () => {
        // Long-polling syncs answer now instead of holding the shutdown for their timeout.
        homeserver?.releaseWaiters();
        await Promise.all(servers.map((server) => server.stop(false)));
        await homeserver?.stop();
        await db.close();
        lock.release();
        log.info("stopped");
      })()),
  };
}

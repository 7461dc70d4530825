// createApp: the HTTP surface of one listener, from its resource names and the services.
// No I/O here, so tests build it and call app.handle(new Request(...)).
import { accessTokenResolver, appServiceResolver } from "./api/access-token.ts";
import { appServicePingEndpoints } from "./api/client/appservice-ping.ts";
import { createAppServiceClient } from "./auth/appservice-client.ts";
import { createAppServiceIdentities, type AppServiceRegistry } from "./auth/appservices.ts";
import { loginEndpoints } from "./api/client/login.ts";
import { registerEndpoints } from "./api/client/register.ts";
import { capabilitiesEndpoints, type RoomVersionStabilities } from "./api/client/capabilities.ts";
import { userDataEndpoints } from "./api/client/user-data.ts";
import { clientVersionsEndpoints } from "./api/client/versions.ts";
import { sharedSecretRegisterEndpoints, type DisplayNameSetter } from "./api/synapse-admin/register.ts";
import { synapseAdminEndpoints } from "./api/synapse-admin/index.ts";
import type { AdminServices } from "./rooms/admin-services.ts";
import type { AccountServices } from "./auth/accounts.ts";
import { roomEndpoints } from "./api/client/rooms.ts";
import { roomEventEndpoints } from "./api/client/room-events.ts";
import { searchEndpoints } from "./api/client/search.ts";
import { userDirectoryEndpoints } from "./api/client/user-directory.ts";
import { directoryEndpoints } from "./api/client/directory.ts";
import { roomUpgradeEndpoints } from "./api/client/room-upgrade.ts";
import { hierarchyEndpoints } from "./api/client/hierarchy.ts";
import { relationsEndpoints } from "./api/client/relations.ts";
import { roomHistoryEndpoints } from "./api/client/room-history.ts";
import type { RoomServices } from "./rooms/index.ts";
import type { RoomEphemeralServices } from "./rooms/ephemeral.ts";
import { typingEndpoints } from "./api/client/typing.ts";
import { pushRuleEndpoints } from "./api/client/pushrules.ts";
import { notificationEndpoints } from "./api/client/notifications.ts";
import { pusherEndpoints } from "./api/client/pushers.ts";
import type { PushServices } from "./push/index.ts";
import type { AppServicePush } from "./appservice/index.ts";
import { presenceEndpoints } from "./api/client/presence.ts";
import type { PresenceServices } from "./sync/presence.ts";
import { syncEndpoints } from "./api/client/sync.ts";
import { slidingSyncEndpoints } from "./api/client/sliding-sync.ts";
import { toDeviceEndpoints } from "./api/client/to-device.ts";
import { dehydratedDeviceEndpoints } from "./api/client/dehydrated-devices.ts";
import type { SyncServices } from "./sync/index.ts";
import { keysEndpoints } from "./api/client/keys.ts";
import type { KeyServices } from "./auth/keys.ts";
import type { DeviceLists } from "./sync/device-lists.ts";
import { crossSigningEndpoints } from "./api/client/cross-signing.ts";
import { keyBackupEndpoints } from "./api/client/key-backup.ts";
import type { CrossSigning } from "./auth/cross-signing.ts";
import type { KeyBackup } from "./auth/key-backup.ts";
import { mediaEndpoints } from "./api/media/index.ts";
import type { MediaServices } from "./media/index.ts";
import { receiptEndpoints } from "./api/client/receipts.ts";
import { readMarkerEndpoints } from "./api/client/read-markers.ts";
import { tagEndpoints } from "./api/client/tags.ts";
import { reportEndpoints } from "./api/client/reports.ts";
import { isLoopback } from "./auth/rate-limits.ts";
import type { UserDataServices } from "./auth/user-data.ts";
import { federationVersionEndpoints } from "./api/federation/version.ts";
import { federationQueryEndpoints } from "./api/federation/query.ts";
import { federationUserKeysEndpoints } from "./api/federation/user-keys.ts";
import type { QueryAnswers } from "./federation/queries-serve.ts";
import { federationMediaEndpoints } from "./api/federation/media.ts";
import { federationPublicRoomsEndpoints } from "./api/federation/public-rooms.ts";
import { federationHierarchyEndpoints } from "./api/federation/hierarchy.ts";
import type { FederationMedia } from "./media/federation-serve.ts";
import { healthEndpoints } from "./api/health/index.ts";
import { serverKeyEndpoints } from "./api/keys/server.ts";
import { keyQueryEndpoints } from "./api/keys/query.ts";
import type { KeyNotary } from "./federation/server-keys-serve.ts";
import { wellKnownEndpoints } from "./api/wellknown/index.ts";
import { supportEndpoints } from "./api/wellknown/support.ts";
import { voipEndpoints } from "./api/client/voip.ts";
import { createTurnCredentials } from "./auth/turn-credentials.ts";
import { parseDuration } from "./config/units.ts";
import { clientAdminEndpoints } from "./api/client/admin.ts";
import { createAccountModeration } from "./auth/account-moderation.ts";
import { openIdEndpoints } from "./api/client/openid.ts";
import { federationOpenIdEndpoints } from "./api/federation/openid.ts";
import type { OpenIdTokens } from "./auth/openid-tokens.ts";
import { mutualRoomsEndpoints } from "./api/client/mutual-rooms.ts";
import type { MutualRooms } from "./rooms/mutual-rooms.ts";
import { roomSummaryEndpoints } from "./api/client/room-summary.ts";
import type { RoomSummaries } from "./rooms/room-summary.ts";
import type { ServerKeys } from "./auth/server-keys.ts";
import type { Config } from "./config/verify.ts";
import type { ResourceName } from "./config/schema.ts";
import type { Endpoint } from "./http/endpoint.ts";
import type { RateLimiter } from "./http/rate-limit.ts";
import { createRouter, type AuthResolver, type HttpApp } from "./http/router.ts";
import type { Logger } from "./log/logger.ts";

export interface AppServices {
  config: Config;
  log: Logger;
  serverKeys: ServerKeys;
  /** Other servers' keys as a notary serves them: /_matrix/key/v2/query (needs federation). */
  keyNotary?: KeyNotary;
  /** Answers to other servers' profile and alias queries (needs `serverAuth`). */
  federationQueries?: QueryAnswers;
  /** Our media for other servers: /_matrix/federation/v1/media/* (needs `serverAuth`). */
  federationMedia?: FederationMedia;
  /** Checks other servers' X-Matrix signatures: the 'server' auth of federation endpoints. */
  serverAuth?: AuthResolver;
  rateLimiter: RateLimiter;
  /** Users, devices, tokens, UIA, login and registration; absent in tests that need no database. */
  accounts?: AccountServices;
  /** Profiles, account data, filters, devices, password change and deactivation (needs `accounts`). */
  userData?: UserDataServices;
  /** The engine's room version table (engine.roomVersions), for /capabilities (needs `accounts`). */
  roomVersions?: RoomVersionStabilities;
  /** Rooms, membership, events (needs `accounts`). */
  rooms?: RoomServices;
  /** Typing, receipts, read markers, tags, reports (needs `accounts`). */
  ephemeral?: RoomEphemeralServices;
  /** Push rules, GET /notifications (needs `accounts`). */
  push?: PushServices;
  /** GET/PUT /presence/{userId}/status (needs `accounts`). */
  presence?: PresenceServices;
  /** GET /sync (needs `accounts`). */
  sync?: SyncServices;
  /** E2EE device keys and the device list stream: /keys/upload, query, claim, changes (needs `accounts`). */
  keys?: KeyServices & { deviceLists: DeviceLists };
  /** Cross-signing uploads (needs `accounts`). */
  crossSigning?: CrossSigning;
  /** Server-side key backups: /room_keys (needs `accounts`). */
  keyBackup?: KeyBackup;
  /** The local media repository: upload, download, thumbnails (needs `accounts`). */
  media?: MediaServices;
  /** Synapse's admin API, /_synapse/admin (needs `accounts`). */
  admin?: AdminServices;
  /** Myelin's own version, reported to peers. */
  version: string;
  /** Registered application services (app_service_config_files): as_token auth, ping (needs `accounts`). */
  appServices?: AppServiceRegistry;
  /** Transactions and queries to application services (src/appservice/); no endpoints of its own. */
  appServicePush?: AppServicePush;
  /** OpenID tokens: issued on the client listener, checked on the federation one (needs `accounts`). */
  openIdTokens?: OpenIdTokens;
  /** GET /v1/mutual_rooms (needs `accounts`). */
  mutualRooms?: MutualRooms;
  /** GET /v1/room_summary/{roomIdOrAlias} (needs `accounts`). */
  roomSummaries?: RoomSummaries;
}

function delegatedServer(config: Config): string | null {
  if (!config.serve_server_wellknown) return null;
  const url = new URL(config.public_baseurl);
  return `${url.hostname}:${url.port || 443}`;
}

function endpointsFor(resource: ResourceName, services: AppServices): Endpoint[] {
  const { config } = services;
  switch (resource) {
    case "client":
      return [
        ...clientVersionsEndpoints({ unstableFeatures: (): Record<string, boolean> => (services.sync ? { "org.matrix.simplified_msc3575": true } : {}) }),
        ...wellKnownEndpoints({
          clientBaseUrl: config.public_baseurl_explicit ? config.public_baseurl : null,
          extraClientContent: config.extra_well_known_client_content,
          delegatedServer: delegatedServer(config),
        }),
        ...(services.accounts ? accountEndpoints(services.accounts, config, services.userData?.profiles) : []),
        ...(services.userData ? userDataEndpoints(services.userData, { maxBodySize: config.max_request_body_size }) : []),
        ...(services.accounts && services.roomVersions
          ? capabilitiesEndpoints({
              roomVersions: services.roomVersions,
              defaultRoomVersion: config.default_room_version,
              loginTokens: config.login_via_existing_session.enabled,
              isAdmin: services.admin?.isAdmin,
            })
          : []),
        ...(services.accounts && services.rooms ? roomServiceEndpoints(services.rooms) : []),
        ...(services.accounts && services.ephemeral ? ephemeralEndpoints(services.ephemeral) : []),
        ...(services.accounts && services.push
          ? [...pushRuleEndpoints(services.push.rules), ...notificationEndpoints(services.push.notifications), ...pusherEndpoints(services.push.pushers)]
          : []),
        ...(services.accounts && services.presence ? presenceEndpoints(services.presence) : []),
        ...(services.accounts && services.sync ? syncEndpoints(services.sync.sync) : []),
        ...(services.accounts && services.sync ? slidingSyncEndpoints(services.sync.slidingSync) : []),
        ...(services.accounts && services.keys ? keysEndpoints(services.keys) : []),
        ...(services.accounts && services.crossSigning ? crossSigningEndpoints(services.crossSigning) : []),
        ...(services.accounts && services.keyBackup ? keyBackupEndpoints(services.keyBackup) : []),
        ...(services.accounts && services.media ? mediaEndpoints(services.media) : []),
        ...(services.accounts && services.admin ? synapseAdminEndpoints(services.admin, services.media?.admin) : []),
        ...(services.accounts && services.appServices ? appServicePingEndpoints({ registry: services.appServices, client: createAppServiceClient() }) : []),
        ...(services.accounts && services.sync ? [...toDeviceEndpoints(services.sync.toDevice), ...dehydratedDeviceEndpoints(services.sync.dehydratedDevices)] : []),
        ...supportEndpoints(config.support),
        ...(services.accounts ? smallClientEndpoints(services) : []),
      ];
    case "federation":
      return [
        ...federationVersionEndpoints(services.version), ...keyEndpoints(services), ...federationQueriesOf(services),
        ...(services.openIdTokens ? federationOpenIdEndpoints(services.openIdTokens) : []),
      ];
    case "keys":
      return keyEndpoints(services);
    case "health":
      return [];
  }
}

/** Other servers' queries: profiles and aliases, our users' device keys. */
function federationQueriesOf(services: AppServices): Endpoint[] {
  if (!services.serverAuth) return [];
  return [
    ...(services.federationQueries ? federationQueryEndpoints(services.federationQueries) : []),
    ...(services.keys ? federationUserKeysEndpoints(services.keys.keysQuery) : []),
    ...(services.federationMedia ? federationMediaEndpoints(services.federationMedia) : []),
    ...(services.rooms ? [...federationPublicRoomsEndpoints(services.rooms.publicRooms), ...federationHierarchyEndpoints(services.rooms.hierarchy)] : []),
  ];
}

/** Our keys, and other servers' as a notary. */
function keyEndpoints(services: AppServices): Endpoint[] {
  return [...serverKeyEndpoints(services.serverKeys), ...(services.keyNotary ? keyQueryEndpoints(services.keyNotary) : [])];
}

/** Rooms: creation, membership, sending, state, history, relations, directory. */
function roomServiceEndpoints(rooms: RoomServices): Endpoint[] {
  return [
    ...roomEndpoints({ creator: rooms.creator, membership: rooms.membership }),
    ...roomEventEndpoints({ events: rooms.events, formatter: rooms.formatter }),
    ...directoryEndpoints({ directory: rooms.directory, publicRooms: rooms.publicRooms }),
    ...roomUpgradeEndpoints({ upgrader: rooms.upgrader }),
    ...hierarchyEndpoints({ hierarchy: rooms.hierarchy }),
    ...relationsEndpoints({ relations: rooms.relations }),
    ...roomHistoryEndpoints({ history: rooms.history, members: rooms.members }),
    ...searchEndpoints({ search: rooms.search }), ...userDirectoryEndpoints({ userDirectory: rooms.userDirectory }),
  ];
}

/** Admin moderation and whois, OpenID, TURN, mutual rooms and room summaries. */
function smallClientEndpoints(services: AppServices): Endpoint[] {
  const { config, admin } = services;
  const turn = createTurnCredentials({
    uris: config.turn_uris, sharedSecret: config.turn_shared_secret, username: config.turn_username, password: config.turn_password,
    lifetimeMs: parseDuration(config.turn_user_lifetime)!, allowGuests: config.turn_allow_guests,
  });
  return [
    ...voipEndpoints(turn),
    ...(admin ? clientAdminEndpoints({ isAdmin: admin.isAdmin, devices: admin.devices, moderation: createAccountModeration({ serverName: config.server_name, users: admin.users }) }) : []),
    ...(services.openIdTokens ? openIdEndpoints(services.openIdTokens) : []),
    ...(services.mutualRooms ? mutualRoomsEndpoints(services.mutualRooms) : []),
    ...(services.roomSummaries ? roomSummaryEndpoints(services.roomSummaries) : []),
  ];
}

/** Room data without events of its own. */
function ephemeralEndpoints(e: RoomEphemeralServices): Endpoint[] {
  return [...typingEndpoints(e.typing), ...receiptEndpoints(e.receipts), ...readMarkerEndpoints(e.readMarkers), ...tagEndpoints(e.tags), ...reportEndpoints(e.reports)];
}

/** Registration, login, logout, whoami and Synapse's shared-secret registration. */
function accountEndpoints(accounts: AccountServices, config: Config, profiles?: DisplayNameSetter): Endpoint[] {
  return [
    ...registerEndpoints(accounts.registration),
    ...loginEndpoints({ login: accounts.login, tokens: accounts.tokens, uia: accounts.uia, loginTokenNeedsUia: config.login_via_existing_session.require_ui_auth }),
    ...sharedSecretRegisterEndpoints(accounts.sharedSecret, profiles),
  ];
}

/** as_tokens on 'accessToken' endpoints: who the AS acts as (identity assertion). */
function appServiceAuthOf(services: AppServices) {
  const registry = services.appServices;
  if (!registry || !services.accounts || registry.all().length === 0) return undefined;
  return { registry, identities: createAppServiceIdentities({ registry, repo: services.accounts.repo }) };
}

export function createApp(services: AppServices, resources: readonly ResourceName[], options: { trustForwardedFor?: boolean } = {}): HttpApp {
  const byPath = new Map<string, Endpoint>();
  // Health answers on every listener, as in Synapse; resources may overlap (federation and keys).
  for (const endpoint of [...healthEndpoints(), ...resources.flatMap((resource) => endpointsFor(resource, services))]) {
    byPath.set(`${endpoint.method} ${endpoint.paths[0]}`, endpoint);
  }
  return createRouter({
    endpoints: [...byPath.values()],
    log: services.log,
    maxBodySize: services.config.max_request_body_size,
    auth: {
      ...(services.accounts ? { accessToken: accessTokenResolver(services.accounts.tokens, appServiceAuthOf(services)) } : {}),
      ...(services.appServices ? { appservice: appServiceResolver(services.appServices) } : {}),
      ...(services.serverAuth ? { server: services.serverAuth } : {}),
    },
    rateLimiter: services.rateLimiter,
    rateLimits: {
      rc_message: services.config.rc_message,
      rc_registration_token_validity: services.config.rc_registration_token_validity,
    },
    rateLimitExempt: services.config.rc_exempt_loopback ? isLoopback : undefined,
    trustForwardedFor: options.trustForwardedFor ?? false,
  });
}

// Builds the rooms services from the database, engine and signing key; src/main.ts and the
// tests call it, the API modules receive the parts they use.
import type { Engine, EventSigner } from "../engine/index.ts";
import type { Logger } from "../log/logger.ts";
import type { Db } from "../storage/db.ts";
import { createEventsRepo, type EventsRepo } from "../storage/repos/events.ts";
import { createRelationsRepo } from "../storage/repos/relations.ts";
import type { AppServiceRegistry } from "../auth/appservice-registry.ts";
import { createRoomDirectoryRepo } from "../storage/repos/room-directory.ts";
import { createSearchRepo } from "../storage/repos/search.ts";
import { createUserDirectoryRepo } from "../storage/repos/user-directory.ts";
import { createRoomSearch, type RoomSearch } from "./search.ts";
import { createUserDirectory, type UserDirectory, type UserDirectoryOptions } from "./user-directory.ts";
import { createHistoryRepo } from "../storage/repos/history.ts";
import { createRoomHistory, type RoomHistory } from "./history.ts";
import { createHistoryAccess } from "./history-access.ts";
import { createLazyMembers } from "./lazy-members.ts";
import { createRoomMembers, type RoomMembers } from "./members.ts";
import type { RoomModeration } from "./admin-moderation.ts";
import { createRoomBus, type RoomBus } from "./bus.ts";
import { createClientEventFormatter, type ClientEventFormatter } from "./client-events.ts";
import { createRoomCreator, type RoomCreator } from "./create-room.ts";
import { createRoomDirectory, type RemoteAliases, type RoomDirectory } from "./directory.ts";
import { createSpaceHierarchy, type SpaceHierarchy } from "./hierarchy.ts";
import { createPublicRooms, type PublicRooms } from "./public-rooms.ts";
import { createRoomUpgrader, type RoomUpgrader } from "./upgrade.ts";
import { createEventAppender, type EventAppender } from "./event-appender.ts";
import { createMembership, currentMember, type Membership } from "./membership.ts";
import { createRelationCheck } from "./relation-checks.ts";
import { createRelations, type Relations } from "./relations.ts";
import { createRoomEvents, type RoomEvents } from "./room-events.ts";
import { createRoomHeads, type RoomHeads } from "./room-heads.ts";
import type { MembershipState, RoomReader } from "./room-reader.ts";
import { createServerAcls, type ServerAcls } from "./server-acl.ts";
import { createStateStore, type StateStore } from "./state-store.ts";
import { createEventCache, type EventCache } from "./stored-event.ts";
import { createStreamTracker, type StreamTracker } from "./stream-tracker.ts";
import { canSeeEvent, type HistoryVisibility } from "./visibility.ts";

export interface RoomServices {
  repo: EventsRepo;
  bus: RoomBus;
  heads: RoomHeads;
  cache: EventCache;
  stateStore: StateStore;
  stream: StreamTracker;
  appender: EventAppender;
  formatter: ClientEventFormatter;
  directory: RoomDirectory;
  membership: Membership;
  creator: RoomCreator;
  events: RoomEvents;
  visibility: HistoryVisibility;
  reader: RoomReader;
  /** /messages, /context, /event, /timestamp_to_event. */
  history: RoomHistory;
  /** /members, /joined_members, /joined_rooms. */
  members: RoomMembers;
  relations: Relations;
  serverAcls: ServerAcls;
  /** GET/POST /publicRooms. */
  publicRooms: PublicRooms;
  /** POST /rooms/{roomId}/upgrade. */
  upgrader: RoomUpgrader;
  /** GET /rooms/{roomId}/hierarchy. */
  hierarchy: SpaceHierarchy;
  /** POST /search. */
  search: RoomSearch;
  /** POST /user_directory/search. */
  userDirectory: UserDirectory;
}

/** Event order and relations from the event cache, for receipts (./ephemeral.ts). */
export function roomEventInfo(rooms: Pick<RoomServices, "cache">) {
  return {
    streamOrdering: async (roomId: string, id: string) => {
      const event = await rooms.cache.one(id);
      return event?.roomId === roomId ? event.streamOrdering : null;
    },
    relation: async (roomId: string, id: string) => {
      const event = await rooms.cache.one(id);
      return event?.roomId === roomId && event.relatesTo ? { relatesTo: event.relatesTo, relType: event.relType } : null;
    },
  };
}

export async function createRoomServices(options: {
  db: Db;
  engine: Engine;
  signer: EventSigner;
  log: Logger;
  defaultRoomVersion: string;
  profileOf(userId: string): Promise<{ displayname?: string; avatar_url?: string }>;
  now?: () => number;
  /** Config user_directory (default: enabled, users who share a room or are in public rooms). */
  userDirectory?: UserDirectoryOptions;
  /** Application services' user and alias queries (src/appservice/queries.ts); without them none are asked. */
  appServiceQueries?: { queryAlias(alias: string): Promise<boolean>; queryUser(userId: string): Promise<unknown> };
  /** Aliases of other servers (federation); without it they are not found. */
  remoteAliases?: RemoteAliases;
  /** Rooms blocked and accounts suspended by an admin (./admin-moderation.ts); without it, none. */
  moderation?: RoomModeration;
  /** Application services: their exclusive alias namespaces (./directory.ts). */
  appServices?: Pick<AppServiceRegistry, "exclusiveOwnerOfAlias" | "ownsUser">;
}): Promise<RoomServices> {
  const { engine, signer } = options;
  const now = options.now ?? Date.now;
  const serverName = signer.serverName;
  const repo = createEventsRepo(options.db, { onError: (error) => options.log.warn("analyze failed", { error: String(error) }) });
  const bus = createRoomBus((error) => options.log.error("room event subscriber failed", { error: String(error) }));
  const stateStore = createStateStore(repo);
  const heads = createRoomHeads({ repo, stateStore, roomVersions: engine.roomVersions });
  const cache = createEventCache(repo);
  const stream = createStreamTracker(await repo.maxStreamOrdering());
  const appender = createEventAppender({ engine, signer, repo, heads, stateStore, cache, bus, stream, now });
  const formatter = createClientEventFormatter({ engine, cache, repo, now });
  const directoryRepo = createRoomDirectoryRepo(options.db);
  const directory = createRoomDirectory({
    repo: directoryRepo, serverName, now, heads, cache, appender, joinedMembers: (roomId) => repo.membersOf(roomId, "join"),
    remoteAliases: options.remoteAliases, appServices: options.appServices, aliasQuery: options.appServiceQueries?.queryAlias,
  });
  const membership = createMembership({
    engine, serverName, appender, heads, cache, repo, directory, profileOf: options.profileOf,
    roomsOf: (userId, memberships) => repo.roomsOfUser(userId, memberships),
    forgetRoom: (userId, roomId) => repo.forgetRoom(userId, roomId),
    moderation: options.moderation, userQuery: options.appServiceQueries?.queryUser,
  });
  const creator = createRoomCreator({ engine, appender, membership, directory, defaultRoomVersion: options.defaultRoomVersion, serverName });
  const relationsRepo = createRelationsRepo(options.db);
  const checkRelation = createRelationCheck({ cache, repo: relationsRepo });
  const events = createRoomEvents({ engine, appender, heads, cache, stateStore, repo, formatter, directory, serverName, checkRelation, moderation: options.moderation });
  const visibility: HistoryVisibility = { canSeeEvent: (userId, event) => canSeeEvent({ heads, cache, stateStore, repo }, userId, event) };
  const reader: RoomReader = {
    roomVersion: async (roomId) => (await heads.get(roomId))?.version ?? null,
    async membership(roomId, userId) {
      const head = await heads.get(roomId);
      return head ? (((await currentMember(head, cache, userId))?.membership as MembershipState | undefined) ?? null) : null;
    },
    async canSeeEvent(userId, roomId, eventId) {
      const event = await cache.one(eventId);
      return event !== undefined && event.roomId === roomId && !event.rejectedReason && !event.outlier && (await visibility.canSeeEvent(userId, event));
    },
    joinedMembers: (roomId) => repo.membersOf(roomId, "join"),
  };
  const relations = createRelations({ repo: relationsRepo, heads, cache, formatter, visibility });
  formatter.aggregations = relations.aggregations;
  const historyRepo = createHistoryRepo(options.db);
  const historyAccess = createHistoryAccess({ heads, cache, stateStore, repo });
  const history = createRoomHistory({ access: historyAccess, cache, stateStore, repo: historyRepo, formatter, stream, lazyMembers: createLazyMembers(cache) });
  const members = createRoomMembers({ access: historyAccess, heads, cache, stateStore, repo: historyRepo, eventsRepo: repo, formatter });
  const publicRooms = createPublicRooms({ repo: directoryRepo, serverName });
  const upgrader = createRoomUpgrader({
    engine, appender, heads, cache, membership, directory: directoryRepo, serverName, membersOf: (roomId, value) => repo.membersOf(roomId, value),
  });
  const hierarchy = createSpaceHierarchy({ heads, cache, repo: directoryRepo });
  const search = createRoomSearch({ repo: createSearchRepo(options.db), cache, access: historyAccess, formatter, stateStore, events });
  const userDirectory = createUserDirectory({
    repo: createUserDirectoryRepo(options.db), options: options.userDirectory ?? { enabled: true, searchAllUsers: false },
  });
  return { search, userDirectory, publicRooms, upgrader, hierarchy, history, members, repo, bus, heads, cache, stateStore, stream, appender, formatter, directory, membership, creator, events, visibility, reader, relations, serverAcls: createServerAcls({ heads, cache }) };
}

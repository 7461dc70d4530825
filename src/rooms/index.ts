// Builds the rooms services from the database, engine and signing key; src/main.ts and the
// tests call it, the API modules receive the parts they use.
import type { Engine, EventSigner } from "../engine/index.ts";
import type { Logger } from "../log/logger.ts";
import type { Db } from "../storage/db.ts";
import { createEventsRepo, type EventsRepo } from "../storage/repos/events.ts";
import { createRoomDirectoryRepo } from "../storage/repos/room-directory.ts";
import { createRoomBus, type RoomBus } from "./bus.ts";
import { createClientEventFormatter, type ClientEventFormatter } from "./client-events.ts";
import { createRoomCreator, type RoomCreator } from "./create-room.ts";
import { createRoomDirectory, type RoomDirectory } from "./directory.ts";
import { createEventAppender, type EventAppender } from "./event-appender.ts";
import { createMembership, currentMember, type Membership } from "./membership.ts";
import { createRoomEvents, type RoomEvents } from "./room-events.ts";
import { createRoomHeads, type RoomHeads } from "./room-heads.ts";
import type { Membership as MembershipValue, RoomReader } from "./room-reader.ts";
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
}): Promise<RoomServices> {
  const { engine, signer } = options;
  const now = options.now ?? Date.now;
  const serverName = signer.serverName;
  const repo = createEventsRepo(options.db);
  const bus = createRoomBus((error) => options.log.error("room event subscriber failed", { error: String(error) }));
  const stateStore = createStateStore(repo);
  const heads = createRoomHeads({ repo, stateStore, roomVersions: engine.roomVersions });
  const cache = createEventCache(repo);
  const stream = createStreamTracker(await repo.maxStreamOrdering());
  const appender = createEventAppender({ engine, signer, repo, heads, stateStore, cache, bus, stream, now });
  const formatter = createClientEventFormatter({ engine, cache, repo, now });
  const directory = createRoomDirectory({ repo: createRoomDirectoryRepo(options.db), serverName, now });
  const membership = createMembership({
    engine, serverName, appender, heads, cache, repo, directory, profileOf: options.profileOf,
    roomsOf: (userId, memberships) => repo.roomsOfUser(userId, memberships),
    forgetRoom: (userId, roomId) => repo.forgetRoom(userId, roomId),
  });
  const creator = createRoomCreator({ engine, appender, membership, directory, defaultRoomVersion: options.defaultRoomVersion, serverName });
  const events = createRoomEvents({ engine, appender, heads, cache, stateStore, repo, formatter, directory, serverName });
  const visibility: HistoryVisibility = { canSeeEvent: (userId, event) => canSeeEvent({ heads, cache, stateStore, repo }, userId, event) };
  const reader: RoomReader = {
    roomVersion: async (roomId) => (await heads.get(roomId))?.version ?? null,
    async membership(roomId, userId) {
      const head = await heads.get(roomId);
      return head ? (((await currentMember(head, cache, userId))?.membership as MembershipValue | undefined) ?? null) : null;
    },
    async canSeeEvent(userId, roomId, eventId) {
      const event = await cache.one(eventId);
      return event !== undefined && event.roomId === roomId && !event.rejectedReason && !event.outlier && (await visibility.canSeeEvent(userId, event));
    },
    joinedMembers: (roomId) => repo.membersOf(roomId, "join"),
  };
  return { repo, bus, heads, cache, stateStore, stream, appender, formatter, directory, membership, creator, events, visibility, reader };
}

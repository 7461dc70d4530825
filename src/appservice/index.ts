// Homeserver -> application service: every persisted event goes to the application services
// interested in it (./interest.ts) through one transaction stream each (./transactions.ts),
// subscribed to the rooms bus and never in the send path. The user and alias queries
// (./queries.ts) are built apart, before rooms, which asks them through small hooks.
// https://spec.matrix.org/v1.19/application-service-api/#pushing-events
import type { AppServiceRegistry } from "../auth/appservice-registry.ts";
import type { Logger } from "../log/logger.ts";
import type { RoomServices } from "../rooms/index.ts";
import type { StoredEvent } from "../rooms/stored-event.ts";
import type { Db } from "../storage/db.ts";
import { createAppServiceRepo } from "../storage/repos/appservice.ts";
import { createRoomDirectoryRepo } from "../storage/repos/room-directory.ts";
import { createAppServiceEphemeral, type AppServiceEphemeral, type EphemeralSources } from "./ephemeral.ts";
import { createInterest } from "./interest.ts";
import { createAppServiceClient, type AppServiceClient } from "../auth/appservice-client.ts";
import { DEFAULT_RETRY, openTransactionStream, type RetryTimings, type TransactionStream } from "./transactions.ts";

export interface AppServicePush {
  /** Typing and receipt hooks (MSC2409 ephemeral data), for main.ts to chain into ephemeral's hooks. */
  ephemeral: AppServiceEphemeral;
  /** The waits between retries (tests shorten them). */
  retry: RetryTimings;
  /** Resolves once every stream has nothing ready to send (or is backing off); for tests. */
  settled(): Promise<void>;
  /** Unsubscribes and stops every stream; positions are saved. */
  close(): Promise<void>;
}

export async function createAppServicePush(deps: {
  db: Db;
  registry: AppServiceRegistry;
  rooms: Pick<RoomServices, "bus" | "stream" | "formatter" | "repo">;
  serverName: string;
  log: Logger;
  /** Typing lists and receipts for registrations with receiveEphemeral; without it, none are pushed. */
  ephemeralSources?: EphemeralSources;
  client?: AppServiceClient;
  /** Waits between retries; shared, so tests may shorten them on the running service. */
  retry?: RetryTimings;
  now?: () => number;
}): Promise<AppServicePush> {
  const { rooms, log } = deps;
  const registrations = deps.registry.all().filter((r) => r.url !== null);
  const interest = createInterest({
    registry: deps.registry, registrations, serverName: deps.serverName, now: deps.now ?? Date.now,
    joinedMembers: (roomId) => rooms.repo.membersOf(roomId, "join"),
    aliasesOf: createRoomDirectoryRepo(deps.db).aliasesOf,
  });
  const streams = new Map<string, TransactionStream>();
  const client = deps.client ?? createAppServiceClient();
  const retry = deps.retry ?? { ...DEFAULT_RETRY };
  const ephemeral = createAppServiceEphemeral({
    registrations, interest, sources: deps.ephemeralSources, log, wake: (id) => streams.get(id)?.wake(),
  });
  if (registrations.length === 0) return { ephemeral, retry, settled: async () => {}, close: async () => {} };

  /** Positions of events whose interest is still being decided: no transaction may pass them yet. */
  const classifying = new Set<number>();
  const releasable = () => Math.min(rooms.stream.persistedUpTo(), classifying.size === 0 ? Infinity : Math.min(...classifying) - 1);
  const wakeAll = () => {
    for (const stream of streams.values()) stream.wake();
  };
  // Subscribed before anything is awaited: every event after `liveFrom` is seen here.
  const liveFrom = rooms.stream.persistedUpTo();
  let opened: Promise<void> = Promise.resolve();
  let closed = false;
  const classified = new Set<Promise<void>>();
  const unsubscribe = rooms.bus.subscribe(({ event }) => {
    interest.seen(event);
    classifying.add(event.streamOrdering);
    const work = dispatch(event).finally(() => {
      classifying.delete(event.streamOrdering);
      classified.delete(work);
      wakeAll();
    });
    classified.add(work);
  });
  const unsubscribePurge = rooms.bus.onRoomPurged((roomId) => interest.forgetRoom(roomId));
  // Deferred: the tracker advances inside the write, before the event is announced on the bus;
  // a stream woken right then would pass the event's position before seeing the event.
  rooms.stream.onAdvance(() => void queueMicrotask(() => closed || wakeAll()));

  async function dispatch(event: StoredEvent): Promise<void> {
    try {
      const interested = await interest.of(event);
      await opened;
      for (const registration of interested) streams.get(registration.id)?.push(event);
    } catch (error) {
      // Its interest could not be decided: the event is skipped rather than stalling every stream.
      log.error("application service interest failed", { event_id: event.eventId, error: String(error) });
    }
  }

  const repo = createAppServiceRepo(deps.db);
  opened = (async () => {
    for (const registration of registrations) {
      const stream = await openTransactionStream({
        registration, viewer: deps.registry.senderOf(registration), repo, formatter: rooms.formatter, client,
        interested: async (event) => (await interest.of(event, [registration])).length > 0,
        releasable, takeEphemeral: () => ephemeral.take(registration.id), log, retry,
      }, liveFrom);
      streams.set(registration.id, stream);
      stream.wake();
    }
  })();
  try {
    await opened;
  } catch (error) {
    unsubscribe();
    unsubscribePurge();
    throw error;
  }

  return {
    ephemeral,
    retry,
    async settled() {
      for (let round = 0; round < 50; round++) {
        await Promise.all(classified);
        await Promise.all([...streams.values()].map((s) => s.idle()));
        if (classified.size === 0) return;
      }
    },
    async close() {
      closed = true;
      unsubscribe();
      unsubscribePurge();
      await Promise.all(classified);
      await Promise.all([...streams.values()].map((s) => s.close()));
    },
  };
}

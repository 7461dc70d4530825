// The head of each room this process writes to: version, forward extremities and current
// state, loaded once and then kept up to date by the writer (./event-appender.ts), with one
// write at a time per room (withRoomLock).
import type { Engine, RoomVersionRules, StateMap } from "../engine/index.ts";
import { createKeyedQueue } from "../storage/ordered-writes.ts";
import type { EventsRepo } from "../storage/repos/events.ts";
import type { StateStore } from "./state-store.ts";

export interface RoomHead {
  roomId: string;
  version: string;
  rules: RoomVersionRules;
  creator: string;
  /** Forward extremities: event id -> depth. */
  extremities: Map<string, number>;
  /** The current state's snapshot (null only while the room is being created). */
  snapshot: number | null;
  /** The current state (shared with the state store's cache: replace, never mutate). */
  state: StateMap;
}

/** Limit: room heads kept in memory (a head holds the room's current state map). */
const CACHED_HEADS = 1_000;

export interface RoomHeads {
  /** The head, or null when the room is unknown here. */
  get(roomId: string): Promise<RoomHead | null>;
  set(head: RoomHead): void;
  /** Drops a room's head (a purged room, src/rooms/room-purge.ts): the next get reads the database. */
  forget(roomId: string): void;
  /** Runs `task` with no other write to the room in between (per-process queue). */
  withRoomLock<T>(roomId: string, task: () => Promise<T>): Promise<T>;
}

export function createRoomHeads(deps: {
  repo: Pick<EventsRepo, "room" | "forwardExtremities" | "currentSnapshot">;
  stateStore: StateStore;
  roomVersions: Engine["roomVersions"];
}): RoomHeads {
  const heads = new Map<string, RoomHead>();
  const loading = new Map<string, Promise<RoomHead | null>>();
  const locks = createKeyedQueue();

  async function load(roomId: string): Promise<RoomHead | null> {
    const room = await deps.repo.room(roomId);
    if (!room) return null;
    const rules = deps.roomVersions.get(room.roomVersion);
    if (!rules) throw new Error(`room ${roomId} has unknown version ${room.roomVersion}`);
    const [extremities, snapshot] = await Promise.all([deps.repo.forwardExtremities(roomId), deps.repo.currentSnapshot(roomId)]);
    const state = snapshot === null ? new Map() : await deps.stateStore.state(snapshot);
    return {
      roomId,
      version: room.roomVersion,
      rules,
      creator: room.creator,
      extremities: new Map(extremities.map((x) => [x.eventId, x.depth])),
      snapshot,
      state,
    };
  }

  const self: RoomHeads = {
    async get(roomId) {
      const head = heads.get(roomId);
      if (head) return head;
      let pending = loading.get(roomId);
      if (!pending) {
        pending = load(roomId).finally(() => loading.delete(roomId));
        loading.set(roomId, pending);
      }
      const loaded = await pending;
      if (loaded && !heads.has(roomId)) self.set(loaded);
      return heads.get(roomId) ?? loaded;
    },
    set(head) {
      heads.delete(head.roomId);
      heads.set(head.roomId, head);
      if (heads.size > CACHED_HEADS) {
        // Evict the oldest head no writer holds (a locked room's head must stay the one it updates).
        for (const roomId of heads.keys()) {
          if (!locks.busy(roomId)) {
            heads.delete(roomId);
            break;
          }
        }
      }
    },
    forget: (roomId) => void heads.delete(roomId),
    withRoomLock: (roomId, task) => locks.run(roomId, task),
  };
  return self;
}

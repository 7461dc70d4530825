// Purging a room: every row of it leaves the database (storage/repos/admin-room-purge.ts) and
// every in-memory copy goes with it, under the room's write lock so that no event is appended
// in between. Afterwards the room is unknown: heads.get answers null, so sends, joins and
// reads answer 404 as for a room never seen.
// shared/reference/synapse-admin-api/rooms.md#delete-room-api (purge)
import type { AdminRoomPurgeRepo } from "../storage/repos/admin-room-purge.ts";
import type { RoomBus } from "./bus.ts";
import type { RoomHeads } from "./room-heads.ts";
import type { EventCache } from "./stored-event.ts";

export function createRoomPurge(deps: {
  repo: AdminRoomPurgeRepo;
  heads: Pick<RoomHeads, "withRoomLock" | "forget">;
  cache: Pick<EventCache, "forgetRoom">;
  /** Announces the purge to the modules that keep rooms in memory (sync's memberships). */
  bus: Pick<RoomBus, "roomPurged">;
}) {
  return {
    async purge(roomId: string): Promise<void> {
      await deps.heads.withRoomLock(roomId, async () => {
        await deps.repo.purge(roomId);
        // The head holds the current state, the cache the events: neither may serve the room again.
        deps.heads.forget(roomId);
        deps.cache.forgetRoom(roomId);
        deps.bus.roomPurged(roomId);
      });
    },
  };
}

export type RoomPurge = ReturnType<typeof createRoomPurge>;

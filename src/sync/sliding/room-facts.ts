// What the list filters `room_types` and `is_encrypted` need of each room (MSC4186 "Filters"),
// in memory: the room type never changes (it is the create event's), and encryption once enabled
// stays enabled (a new m.room.encryption event replaces the old one). Kept current from the room
// bus; rooms not seen yet are read in one batch.
import type { RoomBus } from "../../rooms/bus.ts";
import type { SlidingSyncRepo } from "../../storage/repos/sliding-sync.ts";
import { createRoomCache } from "../room-cache.ts";

/** Limit: rooms whose facts are kept. */
export const MAX_FACT_ROOMS = 200_000;

export interface RoomFacts {
  /** The create event's `type` (null for a plain room). */
  type: string | null;
  encrypted: boolean;
}

export function createRoomFacts(deps: { bus: Pick<RoomBus, "subscribe">; repo: Pick<SlidingSyncRepo, "stateContents"> }) {
  const cache = createRoomCache<RoomFacts>({
    empty: () => ({ type: null, encrypted: false }),
    async load(roomIds) {
      const [creates, encryption] = await Promise.all([deps.repo.stateContents(roomIds, "m.room.create"), deps.repo.stateContents(roomIds, "m.room.encryption")]);
      return new Map(roomIds.map((id) => {
        const type = creates.get(id)?.type;
        return [id, { type: typeof type === "string" ? type : null, encrypted: encryption.has(id) }];
      }));
    },
    combine: (seen, loaded) => ({ type: loaded.type ?? seen.type, encrypted: seen.encrypted || loaded.encrypted }),
    max: MAX_FACT_ROOMS,
  });

  deps.bus.subscribe(({ event }) => {
    if (event.outlier || event.rejectedReason !== null || event.stateKey !== "") return;
    const facts = cache.target(event.roomId);
    if (!facts) return;
    if (event.type === "m.room.encryption") facts.encrypted = true;
    if (event.type === "m.room.create") {
      const type = (event.pdu.content as Record<string, unknown> | undefined)?.type;
      facts.type = typeof type === "string" ? type : null;
    }
  });

  return { of: cache.of };
}

export type RoomFactsCache = ReturnType<typeof createRoomFacts>;

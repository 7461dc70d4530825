// Each room's activity positions, in memory: the newest timeline event (which rooms an
// incremental /sync reads; sliding sync's list order, MSC4186 "Activity ordering") and the
// newest event of a bump type (sliding sync's `bump_stamp`). Kept current from the
// room bus, so a list costs no query per room once its rooms are known; rooms not seen yet are
// read in one batch.
import type { RoomBus } from "../rooms/bus.ts";
import type { SlidingSyncRepo } from "../storage/repos/sliding-sync.ts";
import { createRoomCache } from "./room-cache.ts";

/** The MSC's "proper activity" event types for `bump_stamp`. */
export const BUMP_TYPES = ["m.room.create", "m.room.message", "m.room.encrypted", "m.sticker", "m.call.invite", "m.poll.start", "m.beacon_info"];

/** Limit: rooms whose positions are kept; past it the oldest entries are dropped (and read again when asked). */
export const MAX_RECENCY_ROOMS = 200_000;

export interface RoomActivity {
  latest: number;
  bump: number;
}

export function createRoomRecency(deps: { bus: Pick<RoomBus, "subscribe">; repo: Pick<SlidingSyncRepo, "recency"> }) {
  const bumpTypes = new Set(BUMP_TYPES);
  const cache = createRoomCache<RoomActivity>({
    empty: () => ({ latest: 0, bump: 0 }),
    async load(roomIds) {
      const rows = await deps.repo.recency(roomIds, BUMP_TYPES);
      return new Map(rows.map((r) => [r.roomId, { latest: r.latest ?? 0, bump: r.bump ?? r.latest ?? 0 }]));
    },
    combine: (seen, loaded) => ({ latest: Math.max(seen.latest, loaded.latest), bump: Math.max(seen.bump, loaded.bump) }),
    max: MAX_RECENCY_ROOMS,
  });

  deps.bus.subscribe(({ event }) => {
    if (event.outlier || event.rejectedReason !== null) return;
    const current = cache.target(event.roomId);
    // A room neither kept nor being read is read whole when asked.
    if (!current) return;
    current.latest = Math.max(current.latest, event.streamOrdering);
    if (bumpTypes.has(event.type)) current.bump = Math.max(current.bump, event.streamOrdering);
  });

  return { of: cache.of };
}

export type RoomRecency = ReturnType<typeof createRoomRecency>;

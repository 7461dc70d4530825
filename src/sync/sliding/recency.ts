// Each room's activity positions, in memory: the newest timeline event (the list order, MSC
// "Activity ordering") and the newest event of a bump type (`bump_stamp`). Kept current from the
// room bus, so a list costs no query per room once its rooms are known; rooms not seen yet are
// read in one batch.
import type { RoomBus } from "../../rooms/bus.ts";
import type { SlidingSyncRepo } from "../../storage/repos/sliding-sync.ts";

/** The MSC's "proper activity" event types for `bump_stamp`. */
export const BUMP_TYPES = ["m.room.create", "m.room.message", "m.room.encrypted", "m.sticker", "m.call.invite", "m.poll.start", "m.beacon_info"];

/** Limit: rooms whose positions are kept; past it the oldest entries are dropped (and read again when asked). */
export const MAX_RECENCY_ROOMS = 200_000;

export interface RoomActivity {
  latest: number;
  bump: number;
}

export function createRoomRecency(deps: { bus: Pick<RoomBus, "subscribe">; repo: Pick<SlidingSyncRepo, "recency"> }) {
  const known = new Map<string, RoomActivity>();
  const bumpTypes = new Set(BUMP_TYPES);
  const remember = (roomId: string, activity: RoomActivity) => {
    known.delete(roomId);
    known.set(roomId, activity);
    if (known.size > MAX_RECENCY_ROOMS) known.delete(known.keys().next().value as string);
  };

  deps.bus.subscribe(({ event }) => {
    if (event.outlier || event.rejectedReason !== null) return;
    const current = known.get(event.roomId);
    // A room not known yet is read whole when asked: its earlier events are not here.
    if (!current) return;
    current.latest = Math.max(current.latest, event.streamOrdering);
    if (bumpTypes.has(event.type)) current.bump = Math.max(current.bump, event.streamOrdering);
  });

  return {
    async of(roomIds: readonly string[]): Promise<Map<string, RoomActivity>> {
      const missing = roomIds.filter((id) => !known.has(id));
      if (missing.length > 0) {
        for (const row of await deps.repo.recency(missing, BUMP_TYPES)) {
          // An event announced while the query ran may be newer than what it read.
          const seen = known.get(row.roomId);
          const latest = Math.max(row.latest ?? 0, seen?.latest ?? 0);
          remember(row.roomId, { latest, bump: Math.max(row.bump ?? latest, seen?.bump ?? 0) });
        }
      }
      return new Map(roomIds.flatMap((id) => (known.has(id) ? [[id, known.get(id)!] as const] : [])));
    },
  };
}

export type RoomRecency = ReturnType<typeof createRoomRecency>;

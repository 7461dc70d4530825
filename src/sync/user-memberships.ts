// Each user's membership of every room (their newest member event per room), kept in memory and
// maintained from the room bus, so a sync or sliding-sync page does not read the account's whole
// membership list again: the list is read once per user, then only rooms whose newest membership
// is past the page's position are read (their membership at that position).
//
// Loading while events arrive: a user's entry exists from the moment its read starts, the bus
// writes into it, and the read's rows are merged in with the same rule (the newer event wins),
// so an event announced while the read ran is neither lost nor overwritten by an older row.
import type { RoomBus } from "../rooms/bus.ts";
import type { MembershipRow, SyncRepo } from "../storage/repos/sync.ts";

/** Limit: membership rows kept for all users together; past it the least recently read users are dropped (read again when asked). */
export const MAX_CACHED_MEMBERSHIPS = 200_000;

export interface UserMembershipsAt {
  /** The user's membership of each room at the position (the caller's own copy). */
  byRoom: Map<string, MembershipRow>;
  /** Whether the user was joined to the room at some time (any position). */
  everJoined(roomId: string): boolean;
}

interface Entry {
  rows: Map<string, MembershipRow>;
  everJoined: Set<string>;
  ready: Promise<void>;
}

export interface UserMembershipsRepo extends Pick<SyncRepo, "membershipsAt"> {
  /** Newest membership of every room, and the rooms ever joined. */
  allMemberships(userId: string): Promise<{ rows: MembershipRow[]; everJoined: string[] }>;
}

export function createUserMemberships(deps: { bus: Pick<RoomBus, "subscribe"> & Partial<Pick<RoomBus, "onRoomPurged">>; repo: UserMembershipsRepo; maxRows?: number }) {
  const maxRows = deps.maxRows ?? MAX_CACHED_MEMBERSHIPS;
  const users = new Map<string, Entry>();
  let cachedRows = 0;

  const merge = (entry: Entry, row: MembershipRow) => {
    const current = entry.rows.get(row.roomId);
    if (current && current.streamOrdering >= row.streamOrdering) return;
    if (!current) cachedRows++;
    entry.rows.set(row.roomId, row);
    if (row.membership === "join") entry.everJoined.add(row.roomId);
  };

  const evict = (keep: string) => {
    for (const [userId, entry] of users) {
      if (cachedRows <= maxRows) return;
      if (userId === keep) continue;
      users.delete(userId);
      cachedRows -= entry.rows.size;
    }
  };

  deps.bus.subscribe(({ event }) => {
    if (event.type !== "m.room.member" || event.stateKey === null || event.membership === null) return;
    if (event.outlier || event.rejectedReason !== null) return;
    const entry = users.get(event.stateKey);
    if (!entry) return;
    merge(entry, { roomId: event.roomId, membership: event.membership, eventId: event.eventId, sender: event.sender, streamOrdering: event.streamOrdering });
  });

  // A purged room (admin API) is gone from the database: its rows must not outlive it here.
  deps.bus.onRoomPurged?.((roomId) => {
    for (const entry of users.values()) {
      if (entry.rows.delete(roomId)) cachedRows--;
      entry.everJoined.delete(roomId);
    }
  });

  function entryOf(userId: string): Entry {
    const known = users.get(userId);
    if (known) {
      // Most recently used last: eviction drops from the front.
      users.delete(userId);
      users.set(userId, known);
      return known;
    }
    const entry: Entry = { rows: new Map(), everJoined: new Set(), ready: Promise.resolve() };
    entry.ready = deps.repo.allMemberships(userId).then(
      (loaded) => {
        for (const row of loaded.rows) merge(entry, row);
        for (const roomId of loaded.everJoined) entry.everJoined.add(roomId);
        evict(userId);
      },
      (error: unknown) => {
        if (users.get(userId) === entry) {
          users.delete(userId);
          cachedRows -= entry.rows.size;
        }
        throw error;
      },
    );
    users.set(userId, entry);
    return entry;
  }

  return {
    /** The user's memberships at stream position `upTo` (a position every write below has finished). */
    async at(userId: string, upTo: number): Promise<UserMembershipsAt> {
      const entry = entryOf(userId);
      await entry.ready;
      // A copy: the bus changes the entry while the caller works at its position.
      const byRoom = new Map(entry.rows);
      const moved: string[] = [];
      for (const row of byRoom.values()) if (row.streamOrdering > upTo) moved.push(row.roomId);
      if (moved.length > 0) {
        // Changed after the position (e.g. a join committed while an older write is in flight): the membership as it was.
        for (const roomId of moved) byRoom.delete(roomId);
        for (const row of await deps.repo.membershipsAt(userId, upTo, moved)) byRoom.set(row.roomId, row);
      }
      return { byRoom, everJoined: (roomId) => entry.everJoined.has(roomId) };
    },

    /** Rows kept (all users), for tests and metrics. */
    size: () => cachedRows,
  };
}

export type UserMemberships = ReturnType<typeof createUserMemberships>;

// The server-side room list of MSC4186 ("Lists"): the user's rooms they are joined to, invited
// to, knocked on, or were kicked or banned from (after having joined), plus rooms they left
// themselves that this connection was sent before; newest activity first; then each list's
// filters and ranges.
import type { MembershipRow, SyncRepo } from "../../storage/repos/sync.ts";
import type { SlidingSyncRepo } from "../../storage/repos/sliding-sync.ts";
import type { AccountDataRepo } from "../../storage/repos/account-data.ts";
import type { RoomRecency } from "./recency.ts";
import type { ListConfig, ListFilters } from "./request.ts";

export interface ListedRoom {
  row: MembershipRow;
  /** Sort key: newest timeline event for joined rooms, the user's membership event otherwise. */
  activity: number;
  /** `bump_stamp`. */
  bump: number;
}

export interface RoomList {
  /** Every room the user may see (memberships at the position), for subscriptions. */
  visible: Map<string, MembershipRow>;
  /** The list, newest first. */
  sorted: ListedRoom[];
  directRooms: Set<string>;
  /** Rooms the user left without ever joining (rejected invites, retracted knocks). */
  neverJoined: Set<string>;
}

export function createRoomLists(deps: {
  syncRepo: Pick<SyncRepo, "membershipsAt" | "forgottenRooms">;
  repo: SlidingSyncRepo;
  accountData: Pick<AccountDataRepo, "get">;
  recency: RoomRecency;
}) {
  const { repo } = deps;

  async function build(userId: string, upTo: number, sentBefore: (roomId: string) => boolean): Promise<RoomList> {
    const [memberships, forgotten, ignored, direct] = await Promise.all([
      deps.syncRepo.membershipsAt(userId, upTo),
      deps.syncRepo.forgottenRooms(userId),
      deps.accountData.get(userId, "", "m.ignored_user_list"),
      deps.accountData.get(userId, "", "m.direct"),
    ]);
    const ignoredUsers = new Set(Object.keys((ignored?.ignored_users as Record<string, unknown> | undefined) ?? {}));
    const visible = new Map(memberships.map((m) => [m.roomId, m]));
    // Banned without ever having joined: not the user's room (MSC "Lists"). Left without ever
    // having joined (a rejected invite or knock): only the stripped state may be shown.
    const gone = memberships.filter((m) => m.membership === "ban" || m.membership === "leave");
    const everJoined = await repo.everJoined(userId, gone.map((m) => m.roomId));
    const neverJoined = new Set(gone.filter((m) => !everJoined.has(m.roomId)).map((m) => m.roomId));
    for (const m of gone) if (m.membership === "ban" && neverJoined.has(m.roomId)) visible.delete(m.roomId);
    const listed = [...visible.values()].filter((m) => {
      switch (m.membership) {
        case "join":
        case "knock":
          return true;
        case "invite":
          return !ignoredUsers.has(m.sender);
        case "ban":
          return !forgotten.has(m.roomId);
        case "leave":
          // Kicked: always; left themselves (or a rejected invite): only to tell a connection that had it.
          return !forgotten.has(m.roomId) && (m.sender !== userId || sentBefore(m.roomId));
        default:
          return false;
      }
    });
    const joined = listed.filter((m) => m.membership === "join").map((m) => m.roomId);
    const activity = await deps.recency.of(joined);
    const sorted = listed.map((row): ListedRoom => {
      const a = row.membership === "join" ? activity.get(row.roomId) : undefined;
      return { row, activity: a?.latest ?? row.streamOrdering, bump: a?.bump ?? row.streamOrdering };
    });
    sorted.sort((a, b) => b.activity - a.activity || (a.row.roomId < b.row.roomId ? -1 : 1));
    const directRooms = new Set(Object.values(direct ?? {}).flatMap((ids) => (Array.isArray(ids) ? ids.filter((id): id is string => typeof id === "string") : [])));
    return { visible, sorted, directRooms, neverJoined };
  }

  /** The list's rooms after its filters (reading only what the filters set need). */
  async function filtered(list: RoomList, filters: ListFilters, userId: string): Promise<ListedRoom[]> {
    let rooms = list.sorted;
    const ids = () => rooms.map((r) => r.row.roomId);
    if (filters.isDm !== undefined) rooms = rooms.filter((r) => list.directRooms.has(r.row.roomId) === filters.isDm);
    if (filters.isInvited !== undefined) rooms = rooms.filter((r) => (r.row.membership === "invite") === filters.isInvited);
    if (filters.isEncrypted !== undefined) {
      const encrypted = await repo.stateContents(ids(), "m.room.encryption");
      rooms = rooms.filter((r) => encrypted.has(r.row.roomId) === filters.isEncrypted);
    }
    if (filters.roomTypes !== undefined || filters.notRoomTypes !== undefined) {
      const creates = await repo.stateContents(ids(), "m.room.create");
      const typeOf = (roomId: string) => {
        const type = creates.get(roomId)?.type;
        return typeof type === "string" ? type : null;
      };
      rooms = rooms.filter((r) => {
        const type = typeOf(r.row.roomId);
        return (filters.roomTypes === undefined || filters.roomTypes.includes(type)) && !(filters.notRoomTypes ?? []).includes(type);
      });
    }
    if (filters.spaces !== undefined) {
      // Only spaces the user is joined to count.
      const spaces = filters.spaces.filter((id) => list.visible.get(id)?.membership === "join");
      const children = await repo.spaceChildren(spaces);
      rooms = rooms.filter((r) => children.has(r.row.roomId));
    }
    if (filters.tags !== undefined || filters.notTags !== undefined) {
      const tags = await repo.roomTags(userId);
      rooms = rooms.filter((r) => {
        const own = tags.get(r.row.roomId) ?? [];
        if (filters.notTags?.some((t) => own.includes(t))) return false;
        return filters.tags === undefined || filters.tags.some((t) => own.includes(t));
      });
    }
    return rooms;
  }

  return {
    build,
    /** Each list's count and the rooms its ranges select. */
    async select(list: RoomList, lists: ReadonlyMap<string, ListConfig>, userId: string): Promise<Map<string, { count: number; rooms: ListedRoom[] }>> {
      const result = new Map<string, { count: number; rooms: ListedRoom[] }>();
      await Promise.all([...lists].map(async ([key, config]) => {
        const rooms = await filtered(list, config.filters, userId);
        const picked = config.ranges === null ? rooms : [...new Set(config.ranges.flatMap(([start, end]) => rooms.slice(start, end + 1)))];
        result.set(key, { count: rooms.length, rooms: picked });
      }));
      return result;
    },
  };
}

export type RoomLists = ReturnType<typeof createRoomLists>;

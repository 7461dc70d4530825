// The server-side room list of MSC4186 ("Lists"): the user's rooms they are joined to, invited
// to, knocked on, or were kicked or banned from (after having joined), plus rooms they left
// themselves that this connection was sent before; newest activity first; then each list's
// filters and ranges.
import type { MembershipRow, SyncRepo } from "../../storage/repos/sync.ts";
import type { UserMemberships } from "../user-memberships.ts";
import type { SlidingSyncRepo } from "../../storage/repos/sliding-sync.ts";
import type { AccountDataRepo } from "../../storage/repos/account-data.ts";
import type { RoomRecency } from "../room-recency.ts";
import type { RoomFactsCache } from "./room-facts.ts";
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
  /** The list, in no particular order (`select` orders what the ranges need). */
  listed: ListedRoom[];
  /** Rooms the user is joined to. */
  joined: string[];
  directRooms: Set<string>;
  /** Rooms the user left without ever joining (rejected invites, retracted knocks). */
  neverJoined: Set<string>;
  /** A visible room as a list entry (for a subscription to a room not in the list). */
  entry(roomId: string): ListedRoom | undefined;
}

/** Newest activity first; ties by room id, so pages are stable. */
const newestFirst = (a: ListedRoom, b: ListedRoom) => b.activity - a.activity || (a.row.roomId < b.row.roomId ? -1 : 1);

/** The first `k` rooms in list order, without sorting the whole list when `k` is small against it. */
export function firstInOrder(rooms: readonly ListedRoom[], k: number): ListedRoom[] {
  if (k <= 0) return [];
  if (k * 8 >= rooms.length) return [...rooms].sort(newestFirst).slice(0, k);
  const top: ListedRoom[] = [];
  for (const room of rooms) {
    if (top.length === k && newestFirst(room, top[k - 1]!) >= 0) continue;
    let low = 0;
    let high = top.length;
    while (low < high) {
      const mid = (low + high) >> 1;
      if (newestFirst(top[mid]!, room) < 0) low = mid + 1;
      else high = mid;
    }
    top.splice(low, 0, room);
    if (top.length > k) top.pop();
  }
  return top;
}

export function createRoomLists(deps: {
  syncRepo: Pick<SyncRepo, "forgottenRooms">;
  memberships: Pick<UserMemberships, "at">;
  repo: Pick<SlidingSyncRepo, "spaceChildren" | "roomTags">;
  accountData: Pick<AccountDataRepo, "get">;
  recency: Pick<RoomRecency, "of">;
  facts: Pick<RoomFactsCache, "of">;
}) {
  const { repo } = deps;

  // Memberships come from memory (../user-memberships.ts) and activity too (./recency.ts): once
  // warm, a list costs no query per room, only a pass over the user's rooms in memory.
  async function build(userId: string, upTo: number, sentBefore: (roomId: string) => boolean): Promise<RoomList> {
    const [{ byRoom: visible, everJoined }, forgotten, ignored, direct] = await Promise.all([
      deps.memberships.at(userId, upTo),
      deps.syncRepo.forgottenRooms(userId),
      deps.accountData.get(userId, "", "m.ignored_user_list"),
      deps.accountData.get(userId, "", "m.direct"),
    ]);
    const ignoredUsers = new Set(Object.keys((ignored?.ignored_users as Record<string, unknown> | undefined) ?? {}));
    // Banned without ever having joined: not the user's room (MSC "Lists"). Left without ever
    // having joined (a rejected invite or knock): only the stripped state may be shown.
    const neverJoined = new Set<string>();
    const listedRows: MembershipRow[] = [];
    const joined: string[] = [];
    for (const m of visible.values()) {
      if ((m.membership === "ban" || m.membership === "leave") && !everJoined(m.roomId)) {
        neverJoined.add(m.roomId);
        if (m.membership === "ban") {
          visible.delete(m.roomId);
          continue;
        }
      }
      if (m.membership === "join") joined.push(m.roomId);
      if (isListed(m, userId, ignoredUsers, forgotten, sentBefore)) listedRows.push(m);
    }
    const activityOf = await deps.recency.of(joined);
    const entryOf = (row: MembershipRow): ListedRoom => {
      const a = row.membership === "join" ? activityOf(row.roomId) : undefined;
      return { row, activity: a?.latest ?? row.streamOrdering, bump: a?.bump ?? row.streamOrdering };
    };
    const directRooms = new Set(Object.values(direct ?? {}).flatMap((ids) => (Array.isArray(ids) ? ids.filter((id): id is string => typeof id === "string") : [])));
    return {
      visible, listed: listedRows.map(entryOf), joined, directRooms, neverJoined,
      entry: (roomId) => {
        const row = visible.get(roomId);
        return row && entryOf(row);
      },
    };
  }

  /** The list's rooms after its filters (reading only what the filters set need). */
  async function filtered(list: RoomList, filters: ListFilters, userId: string): Promise<ListedRoom[]> {
    let rooms = list.listed;
    const ids = () => rooms.map((r) => r.row.roomId);
    if (filters.isDm !== undefined) rooms = rooms.filter((r) => list.directRooms.has(r.row.roomId) === filters.isDm);
    if (filters.isInvited !== undefined) rooms = rooms.filter((r) => (r.row.membership === "invite") === filters.isInvited);
    if (filters.isEncrypted !== undefined) {
      const facts = await deps.facts.of(ids());
      rooms = rooms.filter((r) => (facts(r.row.roomId)?.encrypted ?? false) === filters.isEncrypted);
    }
    if (filters.roomTypes !== undefined || filters.notRoomTypes !== undefined) {
      const facts = await deps.facts.of(ids());
      rooms = rooms.filter((r) => {
        const type = facts(r.row.roomId)?.type ?? null;
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
    /** Each list's count and the rooms its ranges select, in list order. */
    async select(list: RoomList, lists: ReadonlyMap<string, ListConfig>, userId: string): Promise<Map<string, { count: number; rooms: ListedRoom[] }>> {
      const result = new Map<string, { count: number; rooms: ListedRoom[] }>();
      await Promise.all([...lists].map(async ([key, config]) => {
        const rooms = await filtered(list, config.filters, userId);
        const end = config.ranges === null ? rooms.length : Math.max(0, ...config.ranges.map(([, e]) => e + 1));
        const ordered = firstInOrder(rooms, Math.min(end, rooms.length));
        const picked = config.ranges === null ? ordered : [...new Set(config.ranges.flatMap(([start, e]) => ordered.slice(start, e + 1)))];
        result.set(key, { count: rooms.length, rooms: picked });
      }));
      return result;
    },
  };
}

export type RoomLists = ReturnType<typeof createRoomLists>;

function isListed(m: MembershipRow, userId: string, ignoredUsers: Set<string>, forgotten: Set<string>, sentBefore: (roomId: string) => boolean): boolean {
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
}

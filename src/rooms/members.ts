// Room members: GET /rooms/{roomId}/members (optionally at a pagination or sync token),
// /rooms/{roomId}/joined_members and /joined_rooms.
// https://spec.matrix.org/v1.19/client-server-api/#get_matrixclientv3roomsroomidmembers
// https://spec.matrix.org/v1.19/client-server-api/#get_matrixclientv3roomsroomidjoined_members
// https://spec.matrix.org/v1.19/client-server-api/#get_matrixclientv3joined_rooms
import type { StateMap } from "../engine/index.ts";
import { MatrixError } from "../protocol/matrix-error.ts";
import type { EventsRepo } from "../storage/repos/events.ts";
import type { HistoryRepo } from "../storage/repos/history.ts";
import type { ClientEvent, ClientEventFormatter, Viewer } from "./client-events.ts";
import type { HistoryAccess } from "./history-access.ts";
import { currentMember } from "./membership.ts";
import { parsePositionToken } from "./pagination-token.ts";
import type { RoomHeads } from "./room-heads.ts";
import type { StateStore } from "./state-store.ts";
import { toStoredEvent, type EventCache } from "./stored-event.ts";

export type MembershipValue = "join" | "invite" | "knock" | "leave" | "ban";

export interface RoomMembers {
  members(roomId: string, viewer: Viewer, query: { at?: string; membership?: MembershipValue; notMembership?: MembershipValue }): Promise<{ chunk: ClientEvent[] }>;
  joinedMembers(roomId: string, userId: string): Promise<{ joined: Record<string, { display_name?: string; avatar_url?: string }> }>;
  joinedRooms(userId: string): Promise<{ joined_rooms: string[] }>;
}

/** How every m.room.member key of a StateMap begins (keys are JSON [type, state_key]). */
const MEMBER_KEY_PREFIX = `${JSON.stringify(["m.room.member"]).slice(0, -1)},`;

export function createRoomMembers(deps: {
  access: HistoryAccess;
  heads: RoomHeads;
  cache: EventCache;
  stateStore: StateStore;
  repo: Pick<HistoryRepo, "lastStateEventAt" | "joinedMemberProfiles">;
  eventsRepo: Pick<EventsRepo, "roomsOfUser">;
  formatter: ClientEventFormatter;
}): RoomMembers {
  const { access, cache, stateStore } = deps;

  /**
   * The state the members come from: at the token if given (capped at the user's leave, and
   * only where they may see the room's history); else current state, or the state at their leave.
   */
  async function stateFor(roomId: string, userId: string, at: string | undefined): Promise<StateMap> {
    const { head, member, upTo: leftAt } = await access.readAccess(roomId, userId);
    if (at !== undefined) {
      const position = Math.min(parsePositionToken(at, "at"), leftAt ?? Infinity);
      const row = await deps.repo.lastStateEventAt(roomId, position);
      if (!row) throw new MatrixError(404, "M_NOT_FOUND", "The room has no events at that token");
      const anchor = toStoredEvent(row);
      if ((await access.visible(userId, [anchor])).length === 0) throw new MatrixError(403, "M_FORBIDDEN", "You may not see the room's state at that token");
      return stateStore.state(anchor.stateSnapshot!);
    }
    if (leftAt === null) return head.state;
    return member!.stateSnapshot === null ? new Map() : stateStore.state(member!.stateSnapshot);
  }

  return {
    async members(roomId, viewer, query) {
      const state = await stateFor(roomId, viewer.userId, query.at);
      const ids: string[] = [];
      for (const [key, eventId] of state) if (key.startsWith(MEMBER_KEY_PREFIX)) ids.push(eventId);
      const { membership, notMembership } = query;
      // Both given: either condition admits (the spec's 'or').
      const wanted = (m: string | null) =>
        membership === undefined && notMembership === undefined
          ? true
          : (membership !== undefined && m === membership) || (notMembership !== undefined && m !== notMembership);
      const events = (await cache.get(ids)).filter((e) => wanted(e.membership));
      return { chunk: await deps.formatter.format(events, viewer) };
    },

    async joinedMembers(roomId, userId) {
      const head = await deps.heads.get(roomId);
      if (!head || (await currentMember(head, cache, userId))?.membership !== "join") throw new MatrixError(403, "M_FORBIDDEN", "You are not in this room");
      const joined: Record<string, { display_name?: string; avatar_url?: string }> = {};
      for (const m of await deps.repo.joinedMemberProfiles(roomId)) {
        const member: { display_name?: string; avatar_url?: string } = {};
        if (typeof m.displayname === "string") member.display_name = m.displayname;
        if (typeof m.avatarUrl === "string") member.avatar_url = m.avatarUrl;
        joined[m.userId] = member;
      }
      return { joined };
    },

    async joinedRooms(userId) {
      return { joined_rooms: await deps.eventsRepo.roomsOfUser(userId, ["join"]) };
    },
  };
}

// Synapse's room admin API: list rooms, room details, members, state; and the admin join of
// a local user (room_membership.md), which goes through the membership service like a join
// of the user's own.
// shared/reference/synapse-admin-api/rooms.md, shared/reference/synapse-admin-api/room_membership.md
import { ADMIN_PAGE_LIMIT, checkLocalUser } from "../auth/admin-users.ts";
import { stateKey } from "../engine/index.ts";
import { MatrixError, notFound } from "../protocol/matrix-error.ts";
import { ROOM_ORDER, type AdminRoomRow, type AdminRoomsRepo, type RoomListQuery } from "../storage/repos/admin-rooms.ts";
import type { EventsRepo } from "../storage/repos/events.ts";
import type { ClientEventFormatter } from "./client-events.ts";
import type { Membership } from "./membership.ts";
import type { RoomHeads } from "./room-heads.ts";
import type { EventCache } from "./stored-event.ts";

const listedRoom = (row: AdminRoomRow) => ({
  room_id: row.roomId, name: row.name, canonical_alias: row.canonicalAlias, joined_members: row.joinedMembers,
  joined_local_members: row.joinedLocalMembers, version: row.version, creator: row.creator, encryption: row.encryption,
  federatable: row.federatable, public: row.public, join_rules: row.joinRules, guest_access: row.guestAccess,
  history_visibility: row.historyVisibility, state_events: row.stateEvents, room_type: row.roomType,
});

/** Synapse's order_by values of the room list. */
export type RoomOrder = keyof typeof ROOM_ORDER;
export const ROOM_ORDERS = Object.keys(ROOM_ORDER) as RoomOrder[];

export interface AdminRoomsDeps {
  serverName: string;
  repo: AdminRoomsRepo;
  events: Pick<EventsRepo, "membersOf">;
  heads: Pick<RoomHeads, "get">;
  cache: Pick<EventCache, "get" | "one">;
  formatter: Pick<ClientEventFormatter, "format">;
  membership: Pick<Membership, "invite" | "join">;
  directory: { resolveLocalAlias(alias: string): Promise<string | null> };
  /** Whether a local account exists. */
  userExists(userId: string): Promise<boolean>;
}

export function createAdminRooms(deps: AdminRoomsDeps) {
  const { repo, heads } = deps;
  async function known(roomId: string) {
    if (!roomId.startsWith("!")) throw new MatrixError(400, "M_INVALID_PARAM", `${roomId} is not a legal room ID`);
    const head = await heads.get(roomId);
    if (!head) throw notFound("Room not found");
    return head;
  }

  return {
    /** GET /_synapse/admin/v1/rooms: Synapse answers with `next_batch` (code) and documents `next_token`; both are sent. */
    async list(query: RoomListQuery) {
      const limit = Math.min(query.limit, ADMIN_PAGE_LIMIT);
      const { rooms, total } = await repo.list({ ...query, limit });
      const page: Record<string, unknown> = { rooms: rooms.map(listedRoom), offset: query.from, total_rooms: total };
      if (query.from + limit < total) page.next_batch = page.next_token = query.from + limit;
      if (query.from > 0) page.prev_batch = Math.max(0, query.from - limit);
      return page;
    },

    /** GET /_synapse/admin/v1/rooms/{roomId} */
    async details(roomId: string) {
      const head = await known(roomId);
      const row = await repo.room(roomId);
      if (!row) throw notFound("Room not found");
      const tombstoneId = head.state.get(stateKey("m.room.tombstone", ""));
      const tombstone = tombstoneId ? await deps.cache.one(tombstoneId) : undefined;
      const replacement = tombstone?.pdu.content && (tombstone.pdu.content as Record<string, unknown>).replacement_room;
      return {
        ...listedRoom(row), topic: row.topic, avatar: row.avatar,
        joined_local_devices: await repo.joinedLocalDevices(roomId),
        forgotten: await repo.forgottenByAllLocalUsers(roomId),
        tombstoned: tombstone !== undefined,
        replacement_room: typeof replacement === "string" ? replacement : null,
      };
    },

    /** GET /_synapse/admin/v1/rooms/{roomId}/members: the joined members. */
    async members(roomId: string) {
      await known(roomId);
      const members = (await deps.events.membersOf(roomId, "join")).sort();
      return { members, total: members.length };
    },

    /** GET /_synapse/admin/v1/rooms/{roomId}/state[?type=]: the current state in client format, as the admin sees it. */
    async state(admin: string, roomId: string, type: string | undefined) {
      const head = await known(roomId);
      const ids = [...head.state].filter(([key]) => type === undefined || JSON.parse(key)[0] === type).map(([, id]) => id);
      const events = await deps.cache.get(ids);
      return { state: await deps.formatter.format(events, { userId: admin, deviceId: null }, { aggregations: false }) };
    },

    /**
     * POST /_synapse/admin/v1/join/{roomIdOrAlias}: as Synapse, a room that is not public needs an
     * invite from the admin first (so the admin must be in it and allowed to invite); then the
     * user joins.
     */
    async join(admin: string, roomIdOrAlias: string, userId: string): Promise<{ room_id: string }> {
      checkLocalUser(userId, deps.serverName, "This endpoint can only be used with local users");
      if (!(await deps.userExists(userId))) throw notFound("User not found");
      let roomId = roomIdOrAlias;
      if (roomIdOrAlias.startsWith("#")) {
        const resolved = await deps.directory.resolveLocalAlias(roomIdOrAlias);
        if (!resolved) throw notFound("Room alias not found");
        roomId = resolved;
      } else if (!roomIdOrAlias.startsWith("!")) {
        throw new MatrixError(400, "M_UNKNOWN", `${roomIdOrAlias} was not legal room ID or room alias`);
      }
      const head = await known(roomId);
      const rulesId = head.state.get(stateKey("m.room.join_rules", ""));
      const rules = rulesId ? (await deps.cache.one(rulesId))?.pdu.content : undefined;
      if ((rules as Record<string, unknown> | undefined)?.join_rule !== "public") await deps.membership.invite(roomId, admin, userId);
      await deps.membership.join(roomId, userId);
      return { room_id: roomId };
    },
  };
}

export type AdminRooms = ReturnType<typeof createAdminRooms>;

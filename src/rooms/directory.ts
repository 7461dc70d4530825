// Room aliases of this server and the public-directory flag.
// https://spec.matrix.org/v1.19/client-server-api/#room-aliases
// https://spec.matrix.org/v1.19/client-server-api/#published-room-directory
import { stateKey as keyOf } from "../engine/index.ts";
import type { AppServiceRegistry } from "../auth/appservice-registry.ts";
import { parseServerName } from "../protocol/identifiers.ts";
import { MatrixError } from "../protocol/matrix-error.ts";
import type { JsonObject } from "../protocol/signed-json.ts";
import type { RoomDirectoryRepo } from "../storage/repos/room-directory.ts";
import type { EventAppender } from "./event-appender.ts";
import { currentMember } from "./membership.ts";
import { hasPower } from "./power-levels.ts";
import type { RoomHead, RoomHeads } from "./room-heads.ts";
import type { EventCache } from "./stored-event.ts";

/** Limit: bytes of an alias, as for other identifiers (https://spec.matrix.org/v1.19/appendices/#room-aliases). */
export const MAX_ALIAS_LENGTH = 255;

export type DirectoryVisibility = "public" | "private";

export interface RoomDirectory {
  /** `#localpart:server` for a createRoom room_alias_name; M_INVALID_PARAM when it cannot be one. */
  aliasFor(localpart: string): string;
  /** M_ROOM_IN_USE when the alias exists; M_EXCLUSIVE when an application service reserved it and `userId` is not that AS's. */
  checkAliasFree(alias: string, userId?: string): Promise<void>;
  /** M_ROOM_IN_USE when the alias exists. */
  createAlias(alias: string, roomId: string, creator: string): Promise<void>;
  /** The room an alias of this server points to, or null. */
  resolveLocalAlias(alias: string): Promise<string | null>;
  setPublic(roomId: string, isPublic: boolean): Promise<void>;
  /** PUT /directory/room/{roomAlias}: a joined member maps an alias of this server to the room. */
  putAlias(userId: string, alias: string, roomId: string): Promise<void>;
  /** GET /directory/room/{roomAlias}. */
  lookupAlias(alias: string): Promise<{ room_id: string; servers: string[] }>;
  /** DELETE /directory/room/{roomAlias}: by the alias's creator or a room moderator. */
  deleteAlias(userId: string, alias: string): Promise<void>;
  /** GET /rooms/{roomId}/aliases: for joined members, or anyone when the room is world_readable. */
  localAliases(userId: string, roomId: string): Promise<string[]>;
  /** GET /directory/list/room/{roomId}. */
  visibility(roomId: string): Promise<DirectoryVisibility>;
  /** PUT /directory/list/room/{roomId}: room moderators only. */
  setVisibility(userId: string, roomId: string, visibility: DirectoryVisibility): Promise<void>;
}

/**
 * Aliases of other servers, asked of their server (src/federation/queries.ts, injected by main.ts).
 * null when that server answers that it has no such alias; MatrixError 502 when it cannot be asked.
 */
export interface RemoteAliases {
  resolve(alias: string): Promise<{ room_id: string; servers: string[] } | null>;
}

/** The alias's server name, or M_INVALID_PARAM when the text is not a room alias. */
export function aliasServer(alias: string): string {
  const colon = alias.indexOf(":");
  const server = colon < 0 ? "" : alias.slice(colon + 1);
  if (
    !alias.startsWith("#") || colon < 2 || alias.includes("\u0000") || parseServerName(server) === null ||
    new TextEncoder().encode(alias).length > MAX_ALIAS_LENGTH
  ) {
    throw new MatrixError(400, "M_INVALID_PARAM", `Invalid room alias ${JSON.stringify(alias)}`);
  }
  return server;
}

/**
 * Who may manage a room's aliases and directory entry beyond their own: joined members who may
 * send m.room.canonical_alias (Synapse's check_can_change_room_list).
 */
export async function isRoomModerator(head: RoomHead, cache: EventCache, userId: string): Promise<boolean> {
  if ((await currentMember(head, cache, userId))?.membership !== "join") return false;
  return hasPower(head, cache, userId, { eventType: "m.room.canonical_alias", isState: true });
}

export function createRoomDirectory(deps: {
  repo: RoomDirectoryRepo;
  serverName: string;
  now: () => number;
  heads: RoomHeads;
  cache: EventCache;
  appender: EventAppender;
  joinedMembers(roomId: string): Promise<string[]>;
  /** Without it, aliases of other servers are not found. */
  remoteAliases?: RemoteAliases;
  /** Application services, whose exclusive alias namespaces only they may fill. */
  appServices?: Pick<AppServiceRegistry, "exclusiveOwnerOfAlias" | "ownsUser">;
  /**
   * Asks the application service whose alias namespace holds an alias that does not resolve
   * (src/appservice/queries.ts via main.ts; rooms may not import it): true when it created it.
   */
  aliasQuery?: (alias: string) => Promise<boolean>;
}): RoomDirectory {
  const { repo, serverName, heads, cache } = deps;

  /**
   * An alias in an AS's exclusive namespace is that AS's: its sender or the users it acts as
   * (Synapse's can_modify_alias). https://spec.matrix.org/v1.19/application-service-api/#server-admin-style-permissions
   */
  function checkNotReserved(alias: string, userId: string): void {
    const owner = deps.appServices?.exclusiveOwnerOfAlias(alias);
    if (owner && !deps.appServices!.ownsUser(owner, userId)) throw new MatrixError(400, "M_EXCLUSIVE", "This alias is reserved by an application service");
  }

  async function knownRoom(roomId: string): Promise<RoomHead> {
    const head = await heads.get(roomId);
    if (!head) throw new MatrixError(404, "M_NOT_FOUND", "Room not found");
    return head;
  }

  /** Drops a deleted alias from the room's m.room.canonical_alias, as the deleting user (best effort, as Synapse). */
  async function unpublishAlias(userId: string, roomId: string, alias: string): Promise<void> {
    const head = await heads.get(roomId);
    const id = head?.state.get(keyOf("m.room.canonical_alias", ""));
    const content = id ? ((await cache.one(id))?.pdu.content as JsonObject | undefined) : undefined;
    if (!content) return;
    const alt = Array.isArray(content.alt_aliases) ? content.alt_aliases : undefined;
    if (content.alias !== alias && !alt?.includes(alias)) return;
    const next: JsonObject = { ...content };
    if (next.alias === alias) delete next.alias;
    if (alt) next.alt_aliases = alt.filter((a) => a !== alias);
    await deps.appender.append({ roomId, type: "m.room.canonical_alias", sender: userId, stateKey: "", content: next }).catch(() => {
      // Without the power to edit the event the alias is still deleted (the spec's recommendation).
    });
  }

  const self: RoomDirectory = {
    aliasFor(localpart) {
      const alias = `#${localpart}:${serverName}`;
      if (localpart.length === 0 || /[\s:#]/.test(localpart) || new TextEncoder().encode(alias).length > MAX_ALIAS_LENGTH) {
        throw new MatrixError(400, "M_INVALID_PARAM", "Invalid room_alias_name");
      }
      return alias;
    },
    async checkAliasFree(alias, userId) {
      if (userId !== undefined) checkNotReserved(alias, userId);
      if (await repo.alias(alias)) throw new MatrixError(400, "M_ROOM_IN_USE", "Room alias already taken");
    },
    async createAlias(alias, roomId, creator) {
      checkNotReserved(alias, creator);
      if (!(await repo.createAlias(alias, roomId, creator, deps.now()))) throw new MatrixError(409, "M_ROOM_IN_USE", `Room alias ${alias} already exists`);
    },
    async resolveLocalAlias(alias) {
      const found = (await repo.alias(alias))?.roomId ?? null;
      if (found || !deps.aliasQuery || !(await deps.aliasQuery(alias))) return found;
      // An application service answered 200: it has just created the alias.
      return (await repo.alias(alias))?.roomId ?? null;
    },
    async setPublic(roomId, isPublic) {
      await repo.setPublic(roomId, isPublic);
    },

    async putAlias(userId, alias, roomId) {
      if (aliasServer(alias) !== serverName) throw new MatrixError(400, "M_INVALID_PARAM", "Room aliases must be of this server's domain");
      if (!roomId.startsWith("!")) throw new MatrixError(400, "M_INVALID_PARAM", "Invalid room id");
      const head = await knownRoom(roomId);
      // As Synapse's require_membership_for_aliases (on by default): aliases only for rooms one is in.
      if ((await currentMember(head, cache, userId))?.membership !== "join") throw new MatrixError(403, "M_FORBIDDEN", "You must be in the room to create an alias for it");
      await self.createAlias(alias, roomId, userId);
    },

    async lookupAlias(alias) {
      const server = aliasServer(alias);
      const remote = server === serverName ? null : ((await deps.remoteAliases?.resolve(alias)) ?? null);
      const roomId = server === serverName ? await self.resolveLocalAlias(alias) : remote?.room_id;
      if (!roomId) throw new MatrixError(404, "M_NOT_FOUND", `Room alias ${alias} not found`);
      // As Synapse: the servers of the members we know of, ours first when it is in the room.
      const servers = new Set(server === serverName ? [serverName] : []);
      for (const user of await deps.joinedMembers(roomId)) servers.add(user.slice(user.indexOf(":") + 1));
      for (const name of remote?.servers ?? []) servers.add(name);
      const list = [...servers];
      return { room_id: roomId, servers: list.includes(serverName) ? [serverName, ...list.filter((s) => s !== serverName)] : list };
    },

    async deleteAlias(userId, alias) {
      const server = aliasServer(alias);
      const row = server === serverName ? await repo.alias(alias) : undefined;
      if (!row) throw new MatrixError(404, "M_NOT_FOUND", `Room alias ${alias} not found`);
      if (row.creator !== userId) {
        const head = await heads.get(row.roomId);
        if (!head || !(await isRoomModerator(head, cache, userId))) throw new MatrixError(403, "M_FORBIDDEN", "You don't have permission to delete the alias");
      }
      if (!(await repo.deleteAlias(alias))) throw new MatrixError(404, "M_NOT_FOUND", `Room alias ${alias} not found`);
      await unpublishAlias(userId, row.roomId, alias);
    },

    async localAliases(userId, roomId) {
      const head = await heads.get(roomId);
      if (!head) throw new MatrixError(403, "M_FORBIDDEN", "You are not a member of the room");
      if ((await currentMember(head, cache, userId))?.membership !== "join") {
        const id = head.state.get(keyOf("m.room.history_visibility", ""));
        const visibility = id ? ((await cache.one(id))?.pdu.content as JsonObject | undefined)?.history_visibility : undefined;
        if (visibility !== "world_readable") throw new MatrixError(403, "M_FORBIDDEN", "You are not a member of the room");
      }
      return repo.aliasesOf(roomId);
    },

    async visibility(roomId) {
      const isPublic = await repo.isPublic(roomId);
      if (isPublic === undefined) throw new MatrixError(404, "M_NOT_FOUND", "Room not found");
      return isPublic ? "public" : "private";
    },

    async setVisibility(userId, roomId, visibility) {
      const head = await knownRoom(roomId);
      if (!(await isRoomModerator(head, cache, userId))) {
        throw new MatrixError(403, "M_FORBIDDEN", "You need to be a moderator in the room to change its directory entry");
      }
      await repo.setPublic(roomId, visibility === "public");
    },
  };
  return self;
}

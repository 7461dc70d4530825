// Room aliases of this server and the public-directory flag.
// https://spec.matrix.org/v1.19/client-server-api/#room-aliases
// https://spec.matrix.org/v1.19/client-server-api/#listing-rooms
import { MatrixError } from "../protocol/matrix-error.ts";
import type { RoomDirectoryRepo } from "../storage/repos/room-directory.ts";

/** Limit: bytes of an alias, as for other identifiers. */
export const MAX_ALIAS_LENGTH = 255;

export interface RoomDirectory {
  /** `#localpart:server` for a createRoom room_alias_name; M_INVALID_PARAM when it cannot be one. */
  aliasFor(localpart: string): string;
  /** M_ROOM_IN_USE when the alias exists. */
  checkAliasFree(alias: string): Promise<void>;
  /** M_ROOM_IN_USE when the alias exists. */
  createAlias(alias: string, roomId: string, creator: string): Promise<void>;
  /** The room an alias of this server points to, or null. */
  resolveLocalAlias(alias: string): Promise<string | null>;
  setPublic(roomId: string, isPublic: boolean): Promise<void>;
}

export function createRoomDirectory(deps: { repo: RoomDirectoryRepo; serverName: string; now: () => number }): RoomDirectory {
  const { repo, serverName } = deps;
  return {
    aliasFor(localpart) {
      const alias = `#${localpart}:${serverName}`;
      if (localpart.length === 0 || /[\s:#]/.test(localpart) || new TextEncoder().encode(alias).length > MAX_ALIAS_LENGTH) {
        throw new MatrixError(400, "M_INVALID_PARAM", "Invalid room_alias_name");
      }
      return alias;
    },
    async checkAliasFree(alias) {
      if (await repo.alias(alias)) throw new MatrixError(400, "M_ROOM_IN_USE", "Room alias already taken");
    },
    async createAlias(alias, roomId, creator) {
      if (!(await repo.createAlias(alias, roomId, creator, deps.now()))) throw new MatrixError(409, "M_ROOM_IN_USE", "Room alias already taken");
    },
    async resolveLocalAlias(alias) {
      return (await repo.alias(alias))?.roomId ?? null;
    },
    async setPublic(roomId, isPublic) {
      await repo.setPublic(roomId, isPublic);
    },
  };
}

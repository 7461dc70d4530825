// GET /mutual_rooms: the rooms the caller and another user are both joined to, in pages. The
// `from` token is the last room id of the previous page, so it never expires and rooms joined
// meanwhile appear if they sort after it.
// https://spec.matrix.org/v1.19/client-server-api/#mutual-rooms
import { isUserId } from "../auth/user-id-checks.ts";
import { MatrixError } from "../protocol/matrix-error.ts";
import type { MutualRoomsRepo } from "../storage/repos/mutual-rooms.ts";

/** Limit: rooms per page; more come with `next_batch`. */
export const MUTUAL_ROOMS_PAGE = 100;

const TOKEN_PREFIX = "m";
const encodeToken = (roomId: string) => TOKEN_PREFIX + Buffer.from(roomId).toString("base64url");
function decodeToken(token: string): string {
  const roomId = token.startsWith(TOKEN_PREFIX) ? Buffer.from(token.slice(1), "base64url").toString() : "";
  if (!/^![\x21-\x7e]+$/.test(roomId) || encodeToken(roomId) !== token) throw new MatrixError(400, "M_INVALID_PARAM", "Invalid from token");
  return roomId;
}

export function createMutualRooms(deps: { repo: MutualRoomsRepo }) {
  return {
    async list(caller: string, other: string, from: string | undefined): Promise<{ joined: string[]; count: number; next_batch?: string }> {
      if (!isUserId(other)) throw new MatrixError(400, "M_INVALID_PARAM", "The user ID provided was invalid");
      if (other === caller) throw new MatrixError(400, "M_INVALID_PARAM", "You cannot request mutual rooms with yourself");
      const after = from === undefined ? null : decodeToken(from);
      // One more than a page tells whether another page follows.
      const rooms = await deps.repo.page(caller, other, after, MUTUAL_ROOMS_PAGE + 1);
      const joined = rooms.slice(0, MUTUAL_ROOMS_PAGE);
      const count = after === null && rooms.length <= MUTUAL_ROOMS_PAGE ? joined.length : await deps.repo.count(caller, other);
      return { joined, count, ...(rooms.length > MUTUAL_ROOMS_PAGE ? { next_batch: encodeToken(joined.at(-1)!) } : {}) };
    },
  };
}

export type MutualRooms = ReturnType<typeof createMutualRooms>;

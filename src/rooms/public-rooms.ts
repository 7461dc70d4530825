// The published room directory: GET/POST /publicRooms over room_stats, most joined members first.
// https://spec.matrix.org/v1.19/client-server-api/#get_matrixclientv3publicrooms
// https://spec.matrix.org/v1.19/client-server-api/#post_matrixclientv3publicrooms
import { parseServerName } from "../protocol/identifiers.ts";
import { MatrixError } from "../protocol/matrix-error.ts";
import type { JsonObject } from "../protocol/signed-json.ts";
import type { RoomDirectoryRepo, RoomSummaryRow } from "../storage/repos/room-directory.ts";

/** Limit: rooms per page, when the client asks for none or for more. */
export const MAX_PUBLIC_ROOMS_PAGE = 100;

export interface PublicRoomsRequest {
  limit?: number;
  since?: string;
  server?: string;
  filter?: { generic_search_term?: string; room_types?: (string | null)[] };
}

export interface PublicRoomsResponse {
  chunk: JsonObject[];
  next_batch?: string;
  prev_batch?: string;
  total_room_count_estimate: number;
}

export interface PublicRooms {
  list(request: PublicRoomsRequest): Promise<PublicRoomsResponse>;
}

/** Another server's directory (filled with a federation client by main.ts). */
export interface RemotePublicRooms {
  list(server: string, request: Omit<PublicRoomsRequest, "server">): Promise<PublicRoomsResponse>;
}

/** `local` for our own directory; `server=<another>` asked of that server. */
export function withRemotePublicRooms(local: PublicRooms, deps: { serverName: string; remote: RemotePublicRooms }): PublicRooms {
  return {
    async list(request) {
      const { server, ...rest } = request;
      if (server === undefined || server === deps.serverName) return local.list(rest);
      if (parseServerName(server) === null) throw new MatrixError(400, "M_INVALID_PARAM", "Invalid server name");
      if (rest.limit !== undefined && rest.limit < 0) throw new MatrixError(400, "M_INVALID_PARAM", "limit must not be negative");
      return deps.remote.list(server, rest);
    },
  };
}

/** A room as the directory and the space hierarchy describe it (PublishedRoomsChunk). */
export function roomChunk(row: RoomSummaryRow): JsonObject {
  const chunk: JsonObject = {
    room_id: row.roomId,
    num_joined_members: row.joinedMembers,
    world_readable: row.historyVisibility === "world_readable",
    guest_can_join: row.guestAccess === "can_join",
  };
  if (row.name !== null) chunk.name = row.name;
  if (row.topic !== null) chunk.topic = row.topic;
  if (row.avatarUrl !== null) chunk.avatar_url = row.avatarUrl;
  if (row.canonicalAlias !== null) chunk.canonical_alias = row.canonicalAlias;
  if (row.joinRule !== null) chunk.join_rule = row.joinRule;
  if (row.roomType !== null) chunk.room_type = row.roomType;
  return chunk;
}

type Bound = { joinedMembers: number; roomId: string; forwards: boolean };

/** Tokens name the room a page ends at and the direction: "n" (rooms after it) or "p" (before it). */
const token = (row: RoomSummaryRow, forwards: boolean) =>
  `${forwards ? "n" : "p"}${Buffer.from(JSON.stringify([row.joinedMembers, row.roomId])).toString("base64url")}`;

function parseToken(text: string): Bound {
  try {
    const [members, roomId] = JSON.parse(Buffer.from(text.slice(1), "base64url").toString()) as unknown[];
    const inRange = Number.isInteger(members) && (members as number) >= 0 && (members as number) <= 2 ** 31 - 1; // room_stats.joined_members is an int
    if ((text[0] === "n" || text[0] === "p") && inRange && typeof roomId === "string" && !roomId.includes("\u0000")) {
      return { joinedMembers: members as number, roomId, forwards: text[0] === "n" };
    }
  } catch {
    // Falls through to the error below.
  }
  throw new MatrixError(400, "M_INVALID_PARAM", "Unknown pagination token");
}

export function createPublicRooms(deps: { repo: RoomDirectoryRepo; serverName: string }): PublicRooms {
  return {
    async list(request) {
      if (request.server !== undefined && request.server !== deps.serverName) {
        if (parseServerName(request.server) === null) throw new MatrixError(400, "M_INVALID_PARAM", "Invalid server name");
        throw new MatrixError(404, "M_NOT_FOUND", "Listing another server's rooms needs federation, which this server does not run yet");
      }
      if (request.limit !== undefined && request.limit < 0) throw new MatrixError(400, "M_INVALID_PARAM", "limit must not be negative");
      // limit 0 means no limit to Synapse; here it means the default page.
      const limit = Math.min(request.limit || MAX_PUBLIC_ROOMS_PAGE, MAX_PUBLIC_ROOMS_PAGE);
      const bound = request.since === undefined ? undefined : parseToken(request.since);
      const term = request.filter?.generic_search_term?.trim().toLowerCase();
      if (term?.includes("\u0000")) throw new MatrixError(400, "M_INVALID_PARAM", "generic_search_term may not contain NUL");
      if (request.filter?.room_types?.some((t) => t?.includes("\u0000"))) throw new MatrixError(400, "M_INVALID_PARAM", "room_types may not contain NUL");
      const filter = { searchTerm: term || undefined, roomTypes: request.filter?.room_types };

      const [rows, total] = await Promise.all([
        deps.repo.publishedRooms({ ...filter, limit: limit + 1, bound }),
        deps.repo.countPublishedRooms(filter),
      ]);
      const forwards = bound?.forwards ?? true;
      const more = rows.length > limit;
      // Backwards pages come in listing order with the farthest room first: drop that one.
      const page = more ? (forwards ? rows.slice(0, limit) : rows.slice(1)) : rows;
      const response: PublicRoomsResponse = { chunk: page.map(roomChunk), total_room_count_estimate: total };
      const first = page[0];
      const last = page[page.length - 1];
      if (last && (forwards ? more : true)) response.next_batch = token(last, true);
      if (first && (forwards ? bound !== undefined : more)) response.prev_batch = token(first, false);
      return response;
    },
  };
}

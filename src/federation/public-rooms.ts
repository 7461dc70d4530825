// Another server's published room directory for our clients: GET (or POST, with a filter)
// /_matrix/federation/v1/publicRooms, its answer checked field by field before it is passed on.
// https://spec.matrix.org/v1.19/server-server-api/#public-room-directory
// Errors as Synapse: the remote's 404 and 403 pass through; anything else is 502 M_UNKNOWN.
// Limit: no cache of remote directories (Synapse keeps unfiltered first pages for a while).
import { MatrixError } from "../protocol/matrix-error.ts";
import type { JsonObject } from "../protocol/signed-json.ts";
import type { PublicRoomsResponse, RemotePublicRooms } from "../rooms/public-rooms.ts";
import { REMOTE_QUERY_TIMEOUT_MS } from "./queries.ts";
import { FederationRequestError, type FederationTransport } from "./transport.ts";

/** Limit: rooms of a remote page passed on (its own page size is the remote's choice). */
export const MAX_REMOTE_PUBLIC_ROOMS = 500;

const isObject = (value: unknown): value is JsonObject => typeof value === "object" && value !== null && !Array.isArray(value);
const failed = () => new MatrixError(502, "M_UNKNOWN", "Failed to fetch room list");

/** A PublishedRoomsChunk with its required fields typed right, or null. */
function cleanChunk(room: unknown): JsonObject | null {
  if (!isObject(room) || typeof room.room_id !== "string" || !room.room_id.startsWith("!")) return null;
  if (!Number.isSafeInteger(room.num_joined_members) || typeof room.world_readable !== "boolean" || typeof room.guest_can_join !== "boolean") return null;
  const chunk: JsonObject = { room_id: room.room_id, num_joined_members: room.num_joined_members, world_readable: room.world_readable, guest_can_join: room.guest_can_join };
  for (const key of ["name", "topic", "avatar_url", "canonical_alias", "join_rule", "room_type"]) {
    if (typeof room[key] === "string") chunk[key] = room[key];
  }
  return chunk;
}

export function cleanPublicRooms(answer: unknown): PublicRoomsResponse {
  if (!isObject(answer) || !Array.isArray(answer.chunk)) throw failed();
  const chunk = answer.chunk.slice(0, MAX_REMOTE_PUBLIC_ROOMS).map(cleanChunk).filter((room): room is JsonObject => room !== null);
  const response: PublicRoomsResponse = {
    chunk,
    total_room_count_estimate: Number.isSafeInteger(answer.total_room_count_estimate) ? (answer.total_room_count_estimate as number) : chunk.length,
  };
  if (typeof answer.next_batch === "string") response.next_batch = answer.next_batch;
  if (typeof answer.prev_batch === "string") response.prev_batch = answer.prev_batch;
  return response;
}

export function createRemotePublicRooms(deps: { transport: FederationTransport }): RemotePublicRooms {
  return {
    async list(server, request) {
      const path = "/_matrix/federation/v1/publicRooms";
      let answer: unknown;
      try {
        if (request.filter !== undefined) {
          const body: JsonObject = { filter: request.filter as JsonObject };
          if (request.limit !== undefined) body.limit = request.limit;
          if (request.since !== undefined) body.since = request.since;
          answer = await deps.transport.signed(server, { method: "POST", path, body, timeoutMs: REMOTE_QUERY_TIMEOUT_MS });
        } else {
          const query: Record<string, string> = {};
          if (request.limit !== undefined) query.limit = String(request.limit);
          if (request.since !== undefined) query.since = request.since;
          answer = await deps.transport.signed(server, { method: "GET", path, query, timeoutMs: REMOTE_QUERY_TIMEOUT_MS });
        }
      } catch (error) {
        if (error instanceof FederationRequestError && (error.status === 404 || error.status === 403)) {
          throw new MatrixError(error.status, error.status === 404 ? "M_NOT_FOUND" : "M_FORBIDDEN", `${server}: room list not available`);
        }
        throw failed();
      }
      return cleanPublicRooms(answer);
    },
  };
}

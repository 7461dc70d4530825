// GET /room_summary/{roomIdOrAlias}: what a client shows before joining, for rooms the caller may
// see: joined or invited, public, knockable, restricted with an allowed room joined, or
// world_readable (the same list as the space hierarchy's).
// Limit: only rooms this server knows; others are 404 (no federation summary request, `via` unused).
// https://spec.matrix.org/v1.19/client-server-api/#get_matrixclientv1room_summaryroomidoralias
import { MatrixError, notFound } from "../protocol/matrix-error.ts";
import type { JsonObject } from "../protocol/signed-json.ts";
import type { RoomDirectoryRepo } from "../storage/repos/room-directory.ts";
import type { RoomDirectory } from "./directory.ts";
import { currentMember } from "./membership.ts";
import { roomChunk } from "./public-rooms.ts";
import { createRoomAccess } from "./room-access.ts";
import type { RoomHeads } from "./room-heads.ts";
import type { EventCache } from "./stored-event.ts";

export function createRoomSummaries(deps: {
  heads: RoomHeads;
  cache: EventCache;
  directory: Pick<RoomDirectory, "lookupAlias">;
  repo: Pick<RoomDirectoryRepo, "summaries">;
}) {
  const { heads, cache } = deps;
  // The hierarchy's access rules (./room-access.ts): joined or invited, public, knockable,
  // restricted with an allowed room joined, or world_readable.
  const { stateContent, allowedRooms, accessible } = createRoomAccess({ heads, cache });

  async function roomIdOf(roomIdOrAlias: string): Promise<string> {
    // Room version 12 ids have no server part.
    if (roomIdOrAlias.startsWith("!")) return roomIdOrAlias;
    if (roomIdOrAlias.startsWith("#") && roomIdOrAlias.includes(":")) return (await deps.directory.lookupAlias(roomIdOrAlias)).room_id;
    throw new MatrixError(400, "M_INVALID_PARAM", "Expected a room id or a room alias");
  }

  return {
    async summary(userId: string, roomIdOrAlias: string): Promise<JsonObject> {
      const roomId = await roomIdOf(roomIdOrAlias);
      const head = await heads.get(roomId);
      if (!head) throw notFound("Room not found");
      const joinRules = await stateContent(head, "m.room.join_rules");
      const own = (await currentMember(head, cache, userId))?.membership as string | undefined;
      // Rooms one may not see look the same as unknown ones.
      if (!(await accessible(head, { userId }))) throw notFound("Room not found or is not accessible");
      const [row] = await deps.repo.summaries([roomId]);
      if (!row) throw notFound("Room not found");
      const summary: JsonObject = { ...roomChunk(row), room_version: head.version, membership: own ?? "leave" };
      if (row.encryption !== null) summary.encryption = row.encryption;
      const allowed = allowedRooms(head, joinRules);
      if (allowed.length > 0) summary.allowed_room_ids = allowed;
      return summary;
    },
  };
}

export type RoomSummaries = ReturnType<typeof createRoomSummaries>;

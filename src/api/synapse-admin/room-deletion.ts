// Synapse's Block Room and Delete Room APIs (v1 synchronous, v2 in the background with its status).
// shared/reference/synapse-admin-api/rooms.md#block-room-api, #delete-room-api
import { Type as T } from "@sinclair/typebox";
import type { Moderation } from "../../rooms/admin-moderation.ts";
import type { AdminRoomDeletion } from "../../rooms/admin-room-deletion.ts";
import { MatrixError } from "../../protocol/matrix-error.ts";
import { adminRoute, type IsAdmin } from "./admin-auth.ts";

const SPEC = "https://element-hq.github.io/synapse/latest/admin_api/rooms.html";

/** "The JSON body must not be empty. The body must be at least {}." */
const deleteBody = T.Object({
  new_room_user_id: T.Optional(T.String()),
  room_name: T.Optional(T.String()),
  message: T.Optional(T.String()),
  block: T.Optional(T.Boolean()),
  purge: T.Optional(T.Boolean()),
  force_purge: T.Optional(T.Boolean()),
});

const checkRoomId = (roomId: string) => {
  if (!roomId.startsWith("!") || !roomId.includes(":")) throw new MatrixError(400, "M_INVALID_PARAM", `${roomId} is not a legal room ID`);
  return roomId;
};

export function adminRoomDeletionEndpoints(deletion: AdminRoomDeletion, moderation: Moderation, isAdmin: IsAdmin) {
  const route = adminRoute(isAdmin);
  return [
    route({
      method: "GET", paths: ["/_synapse/admin/v1/rooms/:roomId/block"], spec: `${SPEC}#get-block-status`,
      handler: ({ params }) => moderation.blockStatus(checkRoomId(params.roomId!)),
    }),
    route({
      method: "PUT", paths: ["/_synapse/admin/v1/rooms/:roomId/block"], body: T.Object({ block: T.Boolean() }), spec: `${SPEC}#block-or-unblock-a-room`,
      handler: async ({ params, body }, admin) => (await moderation.setBlocked(checkRoomId(params.roomId!), admin, body.block), { block: body.block }),
    }),
    route({
      method: "DELETE", paths: ["/_synapse/admin/v1/rooms/:roomId"], body: deleteBody, spec: `${SPEC}#version-1-old-version`,
      handler: ({ params, body }, admin) => deletion.deleteNow(admin, params.roomId!, body),
    }),
    route({
      method: "DELETE", paths: ["/_synapse/admin/v2/rooms/:roomId"], body: deleteBody, spec: `${SPEC}#version-2-new-version`,
      handler: ({ params, body }, admin) => deletion.startDelete(admin, params.roomId!, body),
    }),
    route({
      method: "GET", paths: ["/_synapse/admin/v2/rooms/:roomId/delete_status"], spec: `${SPEC}#query-by-room_id`,
      handler: ({ params }) => deletion.statusOfRoom(checkRoomId(params.roomId!)),
    }),
    route({
      method: "GET", paths: ["/_synapse/admin/v2/rooms/delete_status/:deleteId"], spec: `${SPEC}#query-by-delete_id`,
      handler: ({ params }) => deletion.status(params.deleteId!),
    }),
  ];
}

// POST /rooms/{roomId}/upgrade. https://spec.matrix.org/v1.19/client-server-api/#post_matrixclientv3roomsroomidupgrade
import { Type as T } from "@sinclair/typebox";
import { endpoint } from "../../http/endpoint.ts";
import type { RoomUpgrader } from "../../rooms/upgrade.ts";
import { roomIdParam } from "./directory.ts";
import { requesterUser } from "./requester-user.ts";

export const roomUpgradeEndpoints = (deps: { upgrader: RoomUpgrader }) => [
  endpoint({
    method: "POST",
    paths: ["/_matrix/client/v3/rooms/:roomId/upgrade", "/_matrix/client/r0/rooms/:roomId/upgrade"],
    auth: "accessToken",
    body: T.Object({ new_version: T.String(), additional_creators: T.Optional(T.Array(T.String())) }),
    spec: "https://spec.matrix.org/v1.19/client-server-api/#post_matrixclientv3roomsroomidupgrade",
    handler: ({ requester, params, body }) => deps.upgrader.upgrade(requesterUser(requester).userId, roomIdParam(params.roomId!), body),
  }),
];

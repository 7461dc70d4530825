// Room aliases and the published room directory: PUT/GET/DELETE /directory/room/{roomAlias},
// GET /rooms/{roomId}/aliases, GET/PUT /directory/list/room/{roomId}, GET/POST /publicRooms.
// https://spec.matrix.org/v1.19/client-server-api/#room-aliases
// https://spec.matrix.org/v1.19/client-server-api/#published-room-directory
import { Type as T } from "@sinclair/typebox";
import { endpoint } from "../../http/endpoint.ts";
import { MatrixError } from "../../protocol/matrix-error.ts";
import type { RoomDirectory } from "../../rooms/directory.ts";
import type { PublicRooms } from "../../rooms/public-rooms.ts";
import { requesterUser } from "./requester-user.ts";

const versions = (path: string) => [`/_matrix/client/v3${path}`, `/_matrix/client/r0${path}`];
const SPEC = "https://spec.matrix.org/v1.19/client-server-api/";
const Visibility = T.Union([T.Literal("public"), T.Literal("private")]);
const Filter = T.Object({
  generic_search_term: T.Optional(T.String()),
  room_types: T.Optional(T.Array(T.Union([T.String(), T.Null()]))),
});

/** A room id from a path or body: Postgres text cannot hold NUL, and ids are at most 255 bytes. */
export function roomIdParam(roomId: string): string {
  if (!roomId.startsWith("!") || roomId.includes("\u0000") || Buffer.byteLength(roomId) > 255) throw new MatrixError(400, "M_INVALID_PARAM", "Invalid room id");
  return roomId;
}

export const directoryEndpoints = (deps: { directory: RoomDirectory; publicRooms: PublicRooms }) => {
  const { directory, publicRooms } = deps;
  return [
    endpoint({
      method: "PUT",
      paths: versions("/directory/room/:roomAlias"),
      auth: "accessToken",
      body: T.Object({ room_id: T.String() }),
      spec: `${SPEC}#put_matrixclientv3directoryroomroomalias`,
      handler: async ({ requester, params, body }) => {
        await directory.putAlias(requesterUser(requester).userId, params.roomAlias!, roomIdParam(body.room_id));
        return {};
      },
    }),
    endpoint({
      method: "GET",
      paths: versions("/directory/room/:roomAlias"),
      auth: "none",
      spec: `${SPEC}#get_matrixclientv3directoryroomroomalias`,
      handler: ({ params }) => directory.lookupAlias(params.roomAlias!),
    }),
    endpoint({
      method: "DELETE",
      paths: versions("/directory/room/:roomAlias"),
      auth: "accessToken",
      spec: `${SPEC}#delete_matrixclientv3directoryroomroomalias`,
      handler: async ({ requester, params }) => {
        await directory.deleteAlias(requesterUser(requester).userId, params.roomAlias!);
        return {};
      },
    }),
    endpoint({
      method: "GET",
      paths: versions("/rooms/:roomId/aliases"),
      auth: "accessToken",
      spec: `${SPEC}#get_matrixclientv3roomsroomidaliases`,
      handler: async ({ requester, params }) => ({ aliases: await directory.localAliases(requesterUser(requester).userId, roomIdParam(params.roomId!)) }),
    }),
    endpoint({
      method: "GET",
      paths: versions("/directory/list/room/:roomId"),
      auth: "none",
      spec: `${SPEC}#get_matrixclientv3directorylistroomroomid`,
      handler: async ({ params }) => ({ visibility: await directory.visibility(roomIdParam(params.roomId!)) }),
    }),
    endpoint({
      method: "PUT",
      paths: versions("/directory/list/room/:roomId"),
      auth: "accessToken",
      body: T.Object({ visibility: T.Optional(Visibility) }),
      spec: `${SPEC}#put_matrixclientv3directorylistroomroomid`,
      handler: async ({ requester, params, body }) => {
        await directory.setVisibility(requesterUser(requester).userId, roomIdParam(params.roomId!), body.visibility ?? "public");
        return {};
      },
    }),
    endpoint({
      method: "GET",
      paths: versions("/publicRooms"),
      auth: "none",
      query: T.Object({ limit: T.Optional(T.Integer()), since: T.Optional(T.String()), server: T.Optional(T.String()) }),
      spec: `${SPEC}#get_matrixclientv3publicrooms`,
      handler: ({ query }) => publicRooms.list(query),
    }),
    endpoint({
      method: "POST",
      paths: versions("/publicRooms"),
      auth: "accessToken",
      query: T.Object({ server: T.Optional(T.String()) }),
      body: T.Object({
        limit: T.Optional(T.Integer()),
        since: T.Optional(T.String()),
        filter: T.Optional(Filter),
        include_all_networks: T.Optional(T.Boolean()),
        third_party_instance_id: T.Optional(T.String()),
      }),
      spec: `${SPEC}#post_matrixclientv3publicrooms`,
      handler: ({ query, body }) => publicRooms.list({ limit: body.limit, since: body.since, filter: body.filter, server: query.server }),
    }),
  ];
};

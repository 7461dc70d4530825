// Synapse's room admin API: list rooms, room details, members, state; and the admin join
// (room_membership.md). Block and delete are in ./room-deletion.ts.
// shared/reference/synapse-admin-api/rooms.md, shared/reference/synapse-admin-api/room_membership.md
import { Type as T } from "@sinclair/typebox";
import { ROOM_ORDERS, type AdminRooms, type RoomOrder } from "../../rooms/admin-rooms.ts";
import { adminRoute, boolParam, DEFAULT_LIMIT, dirParam, oneOf, pageParams, parseBool, type IsAdmin } from "./admin-auth.ts";

const SPEC = "https://element-hq.github.io/synapse/latest/admin_api/rooms.html";

export function adminRoomEndpoints(rooms: AdminRooms, isAdmin: IsAdmin) {
  const route = adminRoute(isAdmin);
  return [
    route({
      method: "GET", paths: ["/_synapse/admin/v1/rooms"], spec: `${SPEC}#list-room-api`,
      query: T.Object({
        ...pageParams, order_by: oneOf(ROOM_ORDERS), dir: dirParam(), search_term: T.Optional(T.String()),
        public_rooms: boolParam(), empty_rooms: boolParam(),
      }),
      handler: ({ query }) =>
        rooms.list({
          from: query.from ?? 0, limit: query.limit ?? DEFAULT_LIMIT, orderBy: (query.order_by ?? "name") as RoomOrder,
          reverse: query.dir === "b", searchTerm: query.search_term || undefined,
          publicRooms: parseBool(query.public_rooms), emptyRooms: parseBool(query.empty_rooms),
        }),
    }),
    route({
      method: "GET", paths: ["/_synapse/admin/v1/rooms/:roomId"], spec: `${SPEC}#room-details-api`,
      handler: ({ params }) => rooms.details(params.roomId!),
    }),
    route({
      method: "GET", paths: ["/_synapse/admin/v1/rooms/:roomId/members"], spec: `${SPEC}#room-members-api`,
      handler: ({ params }) => rooms.members(params.roomId!),
    }),
    route({
      method: "GET", paths: ["/_synapse/admin/v1/rooms/:roomId/state"], query: T.Object({ type: T.Optional(T.String()) }), spec: `${SPEC}#room-state-api`,
      handler: ({ params, query }, admin) => rooms.state(admin, params.roomId!, query.type),
    }),
    route({
      method: "POST", paths: ["/_synapse/admin/v1/join/:roomIdOrAlias"], body: T.Object({ user_id: T.String() }),
      spec: "https://element-hq.github.io/synapse/latest/admin_api/room_membership.html",
      handler: ({ params, body }, admin) => rooms.join(admin, params.roomIdOrAlias!, body.user_id),
    }),
  ];
}

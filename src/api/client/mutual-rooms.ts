// GET /mutual_rooms (src/rooms/mutual-rooms.ts).
// https://spec.matrix.org/v1.19/client-server-api/#get_matrixclientv1mutual_rooms
import { Type as T } from "@sinclair/typebox";
import { endpoint } from "../../http/endpoint.ts";
import type { MutualRooms } from "../../rooms/mutual-rooms.ts";
import { requesterUser } from "./requester-user.ts";

export const mutualRoomsEndpoints = (mutualRooms: MutualRooms) => [
  endpoint({
    method: "GET",
    paths: ["/_matrix/client/v1/mutual_rooms"],
    auth: "accessToken",
    query: T.Object({ user_id: T.String(), from: T.Optional(T.String()) }),
    spec: "https://spec.matrix.org/v1.19/client-server-api/#get_matrixclientv1mutual_rooms",
    handler: ({ requester, query }) => mutualRooms.list(requesterUser(requester).userId, query.user_id, query.from),
  }),
];

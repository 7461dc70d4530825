// GET /rooms/{roomId}/hierarchy (v1 only). https://spec.matrix.org/v1.19/client-server-api/#get_matrixclientv1roomsroomidhierarchy
import { Type as T } from "@sinclair/typebox";
import { endpoint } from "../../http/endpoint.ts";
import type { SpaceHierarchy } from "../../rooms/hierarchy.ts";
import { roomIdParam } from "./directory.ts";
import { requesterUser } from "./requester-user.ts";

export const hierarchyEndpoints = (deps: { hierarchy: SpaceHierarchy }) => [
  endpoint({
    method: "GET",
    paths: ["/_matrix/client/v1/rooms/:roomId/hierarchy"],
    auth: "accessToken",
    query: T.Object({
      suggested_only: T.Optional(T.Boolean()),
      limit: T.Optional(T.Integer()),
      max_depth: T.Optional(T.Integer()),
      from: T.Optional(T.String()),
    }),
    spec: "https://spec.matrix.org/v1.19/client-server-api/#get_matrixclientv1roomsroomidhierarchy",
    handler: ({ requester, params, query }) =>
      deps.hierarchy.hierarchy(requesterUser(requester).userId, roomIdParam(params.roomId!), {
        suggestedOnly: query.suggested_only, limit: query.limit, maxDepth: query.max_depth, from: query.from,
      }),
  }),
];

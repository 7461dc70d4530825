// Relations and threads: GET /rooms/{roomId}/relations/{eventId}[/{relType}[/{eventType}]] and
// GET /rooms/{roomId}/threads (client API v1).
// https://spec.matrix.org/v1.19/client-server-api/#relationships-api
// https://spec.matrix.org/v1.19/client-server-api/#querying-threads-in-a-room
import { Type as T } from "@sinclair/typebox";
import { endpoint } from "../../http/endpoint.ts";
import type { Relations } from "../../rooms/relations.ts";
import { requesterUser } from "./requester-user.ts";

const SPEC = "https://spec.matrix.org/v1.19/client-server-api/";
const Direction = T.Union([T.Literal("b"), T.Literal("f")]);

const RelationsQuery = T.Object({
  from: T.Optional(T.String()),
  to: T.Optional(T.String()),
  limit: T.Optional(T.Integer()),
  dir: T.Optional(Direction),
  recurse: T.Optional(T.Boolean()),
});

export const relationsEndpoints = (deps: { relations: Relations }) => {
  // Guests may read relations and threads (as Synapse allows): history visibility still applies.
  const relationsOf = (path: string, anchor: string) =>
    endpoint({
      method: "GET",
      paths: [`/_matrix/client/v1${path}`],
      auth: "accessToken",
      allowGuests: true,
      query: RelationsQuery,
      spec: `${SPEC}#${anchor}`,
      handler: ({ requester, params, query }) =>
        deps.relations.children(requesterUser(requester), params.roomId!, params.eventId!, { ...query, relType: params.relType, eventType: params.eventType }),
    });
  return [
    relationsOf("/rooms/:roomId/relations/:eventId", "get_matrixclientv1roomsroomidrelationseventid"),
    relationsOf("/rooms/:roomId/relations/:eventId/:relType", "get_matrixclientv1roomsroomidrelationseventidreltype"),
    relationsOf("/rooms/:roomId/relations/:eventId/:relType/:eventType", "get_matrixclientv1roomsroomidrelationseventidreltypeeventtype"),
    endpoint({
      method: "GET",
      paths: ["/_matrix/client/v1/rooms/:roomId/threads"],
      auth: "accessToken",
      allowGuests: true,
      query: T.Object({
        include: T.Optional(T.Union([T.Literal("all"), T.Literal("participated")])),
        from: T.Optional(T.String()),
        limit: T.Optional(T.Integer()),
      }),
      spec: `${SPEC}#get_matrixclientv1roomsroomidthreads`,
      handler: ({ requester, params, query }) => deps.relations.threads(requesterUser(requester), params.roomId!, query),
    }),
  ];
};

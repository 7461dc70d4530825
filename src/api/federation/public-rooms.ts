// GET/POST /_matrix/federation/v1/publicRooms: our published room directory for other servers.
// https://spec.matrix.org/v1.19/server-server-api/#public-room-directory
// Limits: every server may list it (Synapse's allow_public_rooms_over_federation is off by
// default; Myelin has no such option: rooms in the directory were published to be found);
// include_all_networks and third_party_instance_id are accepted and ignored (no bridges' lists).
import { Type as T } from "@sinclair/typebox";
import { endpoint } from "../../http/endpoint.ts";
import type { PublicRooms } from "../../rooms/public-rooms.ts";

const SPEC = "https://spec.matrix.org/v1.19/server-server-api/";
const Filter = T.Object({
  generic_search_term: T.Optional(T.String()),
  room_types: T.Optional(T.Array(T.Union([T.String(), T.Null()]))),
});

export const federationPublicRoomsEndpoints = (publicRooms: PublicRooms) => [
  endpoint({
    method: "GET",
    paths: ["/_matrix/federation/v1/publicRooms"],
    auth: "server",
    query: T.Object({
      limit: T.Optional(T.Integer()), since: T.Optional(T.String()),
      include_all_networks: T.Optional(T.Boolean()), third_party_instance_id: T.Optional(T.String()),
    }),
    spec: `${SPEC}#get_matrixfederationv1publicrooms`,
    handler: ({ query }) => publicRooms.list({ limit: query.limit, since: query.since }),
  }),
  endpoint({
    method: "POST",
    paths: ["/_matrix/federation/v1/publicRooms"],
    auth: "server",
    body: T.Object({
      limit: T.Optional(T.Integer()), since: T.Optional(T.String()), filter: T.Optional(Filter),
      include_all_networks: T.Optional(T.Boolean()), third_party_instance_id: T.Optional(T.String()),
    }),
    spec: `${SPEC}#post_matrixfederationv1publicrooms`,
    handler: ({ body }) => publicRooms.list({ limit: body.limit, since: body.since, filter: body.filter }),
  }),
];

// GET /_matrix/federation/v1/hierarchy/{roomId}: a space and the children the requesting server
// could peek or join, for its users' GET /hierarchy.
// https://spec.matrix.org/v1.19/server-server-api/#get_matrixfederationv1hierarchyroomid
// Limit: answers are not cached (the spec suggests it; each is a few state lookups here).
import { Type as T } from "@sinclair/typebox";
import { endpoint, type Requester } from "../../http/endpoint.ts";
import type { SpaceHierarchy } from "../../rooms/hierarchy.ts";

/** The requesting server ('server' auth guarantees one). */
const requesterServer = (requester: Requester): string => (requester.kind === "server" ? requester.origin : "");

export const federationHierarchyEndpoints = (hierarchy: SpaceHierarchy) => [
  endpoint({
    method: "GET",
    paths: ["/_matrix/federation/v1/hierarchy/:roomId"],
    auth: "server",
    query: T.Object({ suggested_only: T.Optional(T.Boolean()) }),
    spec: "https://spec.matrix.org/v1.19/server-server-api/#get_matrixfederationv1hierarchyroomid",
    handler: ({ requester, params, query }) => hierarchy.forServer(requesterServer(requester), params.roomId!, query.suggested_only ?? false),
  }),
];

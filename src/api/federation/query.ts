// GET /_matrix/federation/v1/query/profile and /query/directory: other servers asking about our
// users and aliases.
// https://spec.matrix.org/v1.19/server-server-api/#querying-for-information
import { Type as T } from "@sinclair/typebox";
import type { QueryAnswers } from "../../federation/queries-serve.ts";
import { endpoint } from "../../http/endpoint.ts";

const SPEC = "https://spec.matrix.org/v1.19/server-server-api/";

export const federationQueryEndpoints = (answers: QueryAnswers) => [
  endpoint({
    method: "GET",
    paths: ["/_matrix/federation/v1/query/profile"],
    auth: "server",
    // Optional here so that a missing one is M_MISSING_PARAM.
    query: T.Object({ user_id: T.Optional(T.String()), field: T.Optional(T.String()) }),
    spec: `${SPEC}#get_matrixfederationv1queryprofile`,
    handler: ({ query }) => answers.profile(query.user_id, query.field),
  }),
  endpoint({
    method: "GET",
    paths: ["/_matrix/federation/v1/query/directory"],
    auth: "server",
    query: T.Object({ room_alias: T.Optional(T.String()) }),
    spec: `${SPEC}#get_matrixfederationv1querydirectory`,
    handler: ({ query }) => answers.directory(query.room_alias),
  }),
];

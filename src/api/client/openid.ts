// POST /user/{userId}/openid/request_token: a token a third party exchanges, over federation,
// for the user's id (src/api/federation/openid.ts).
// https://spec.matrix.org/v1.19/client-server-api/#post_matrixclientv3useruseridopenidrequest_token
import { Type as T } from "@sinclair/typebox";
import { endpoint } from "../../http/endpoint.ts";
import type { OpenIdTokens } from "../../auth/openid-tokens.ts";
import { requesterUser } from "./requester-user.ts";

export const openIdEndpoints = (tokens: OpenIdTokens) => [
  endpoint({
    method: "POST",
    paths: ["/_matrix/client/v3/user/:userId/openid/request_token", "/_matrix/client/r0/user/:userId/openid/request_token"],
    auth: "accessToken",
    // "An empty object. Reserved for future expansion."
    body: T.Record(T.String(), T.Unknown()),
    spec: "https://spec.matrix.org/v1.19/client-server-api/#post_matrixclientv3useruseridopenidrequest_token",
    handler: ({ requester, params }) => tokens.issue(requesterUser(requester).userId, params.userId!),
  }),
];

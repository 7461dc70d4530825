// GET /_matrix/federation/v1/openid/userinfo: authenticated by the OpenID token in the query,
// not by X-Matrix (the caller is usually not a homeserver).
// https://spec.matrix.org/v1.19/server-server-api/#openid
import { Type as T } from "@sinclair/typebox";
import { endpoint } from "../../http/endpoint.ts";
import type { OpenIdTokens } from "../../auth/openid-tokens.ts";

export const federationOpenIdEndpoints = (tokens: OpenIdTokens) => [
  endpoint({
    method: "GET",
    paths: ["/_matrix/federation/v1/openid/userinfo"],
    auth: "none",
    query: T.Object({ access_token: T.Optional(T.String()) }),
    spec: "https://spec.matrix.org/v1.19/server-server-api/#get_matrixfederationv1openiduserinfo",
    handler: ({ query }) => tokens.userInfo(query.access_token),
  }),
];

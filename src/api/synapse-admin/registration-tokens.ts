// Synapse's registration token admin API.
// shared/reference/synapse-admin-api/registration_tokens.md
import { Type as T } from "@sinclair/typebox";
import type { AdminRegistrationTokens } from "../../auth/admin-tokens.ts";
import { adminRoute, boolParam, parseBool, type IsAdmin } from "./admin-auth.ts";

const SPEC = "https://element-hq.github.io/synapse/latest/usage/administration/admin_api/registration_tokens.html";
/** Fields are checked by the domain, with Synapse's M_INVALID_PARAM messages. */
const AnyObject = T.Record(T.String(), T.Unknown());

export function adminRegistrationTokenEndpoints(tokens: AdminRegistrationTokens, isAdmin: IsAdmin) {
  const route = adminRoute(isAdmin);
  return [
    route({
      method: "GET", paths: ["/_synapse/admin/v1/registration_tokens"], query: T.Object({ valid: boolParam() }), spec: `${SPEC}#list-all-tokens`,
      handler: ({ query }) => tokens.list(parseBool(query.valid)),
    }),
    route({
      method: "POST", paths: ["/_synapse/admin/v1/registration_tokens/new"], body: AnyObject, spec: `${SPEC}#create-token`,
      handler: ({ body }) => tokens.create(body),
    }),
    route({
      method: "GET", paths: ["/_synapse/admin/v1/registration_tokens/:token"], spec: `${SPEC}#get-one-token`,
      handler: ({ params }) => tokens.get(params.token!),
    }),
    route({
      method: "PUT", paths: ["/_synapse/admin/v1/registration_tokens/:token"], body: AnyObject, spec: `${SPEC}#update-token`,
      handler: ({ params, body }) => tokens.update(params.token!, body),
    }),
    route({
      method: "DELETE", paths: ["/_synapse/admin/v1/registration_tokens/:token"], spec: `${SPEC}#delete-token`,
      handler: ({ params }) => tokens.delete(params.token!),
    }),
  ];
}

// Shared-secret registration (Synapse admin API): GET a nonce, POST an account with an HMAC.
// shared/reference/synapse-admin-api/register_api.md
import { Type as T } from "@sinclair/typebox";
import type { SharedSecretRegistration } from "../../auth/shared-secret.ts";
import { endpoint } from "../../http/endpoint.ts";

const SPEC = "https://element-hq.github.io/synapse/latest/admin_api/register_api.html";

export const sharedSecretRegisterEndpoints = (sharedSecret: SharedSecretRegistration) => [
  endpoint({ method: "GET", paths: ["/_synapse/admin/v1/register"], auth: "none", spec: SPEC, handler: () => sharedSecret.nonce() }),
  endpoint({
    method: "POST",
    paths: ["/_synapse/admin/v1/register"],
    auth: "none",
    body: T.Object({
      nonce: T.String(),
      username: T.String(),
      password: T.String(),
      admin: T.Optional(T.Boolean()),
      // Accepted as Synapse does; the profile module sets display names (not wired here yet).
      displayname: T.Optional(T.String()),
      user_type: T.Optional(T.Union([T.String(), T.Null()])),
      mac: T.String(),
    }),
    spec: SPEC,
    handler: ({ body }) => sharedSecret.register(body),
  }),
];

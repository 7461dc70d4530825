// Shared-secret registration (Synapse admin API): GET a nonce, POST an account with an HMAC.
// shared/reference/synapse-admin-api/register_api.md
import { Type as T } from "@sinclair/typebox";
import type { Profiles } from "../../auth/profiles.ts";
import type { SharedSecretRegistration } from "../../auth/shared-secret.ts";
import { endpoint } from "../../http/endpoint.ts";

const SPEC = "https://element-hq.github.io/synapse/latest/admin_api/register_api.html";

export type DisplayNameSetter = Pick<Profiles, "setField">;

export const sharedSecretRegisterEndpoints = (sharedSecret: SharedSecretRegistration, profiles?: DisplayNameSetter) => [
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
      displayname: T.Optional(T.String()),
      user_type: T.Optional(T.Union([T.String(), T.Null()])),
      mac: T.String(),
    }),
    spec: SPEC,
    handler: async ({ body }) => {
      const session = await sharedSecret.register(body);
      if (body.displayname !== undefined && profiles) {
        await profiles.setField(session.user_id, session.user_id, "displayname", { displayname: body.displayname });
      }
      return session;
    },
  }),
];

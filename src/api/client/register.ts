// Account registration: POST /register (UIA), GET /register/available, token validity.
// https://spec.matrix.org/v1.19/client-server-api/#account-registration
import { Type as T } from "@sinclair/typebox";
import type { Registration } from "../../auth/registration.ts";
import { tokenFromRequest } from "../../auth/tokens.ts";
import { endpoint } from "../../http/endpoint.ts";
import { MatrixError } from "../../protocol/matrix-error.ts";

const RegisterBody = T.Object({
  auth: T.Optional(T.Unknown()),
  username: T.Optional(T.String()),
  password: T.Optional(T.String()),
  device_id: T.Optional(T.String({ minLength: 1 })),
  initial_device_display_name: T.Optional(T.String()),
  inhibit_login: T.Optional(T.Boolean()),
  refresh_token: T.Optional(T.Boolean()),
  guest_access_token: T.Optional(T.String()),
  /** m.login.application_service: an application service registers a user of its namespace. */
  type: T.Optional(T.String()),
});

export const registerEndpoints = (registration: Registration) => [
  endpoint({
    method: "POST",
    paths: ["/_matrix/client/v3/register", "/_matrix/client/r0/register"],
    auth: "none",
    body: RegisterBody,
    query: T.Object({ kind: T.Optional(T.String()) }),
    spec: "https://spec.matrix.org/v1.19/client-server-api/#post_matrixclientv3register",
    handler: ({ body, query, ip, request }) => {
      const kind = query.kind ?? "user";
      // https://spec.matrix.org/v1.19/application-service-api/#server-admin-style-permissions
      if (body.type === "m.login.application_service") {
        if (kind !== "user") throw new MatrixError(400, "M_INVALID_PARAM", "Application services register users, not guests");
        return registration.registerAppServiceUser(tokenFromRequest(request), { ...body, kind }, ip);
      }
      if (kind === "guest") return registration.registerGuest({ ...body, kind }, ip);
      if (kind !== "user") throw new MatrixError(400, "M_INVALID_PARAM", `Unknown kind ${kind}`);
      return registration.registerUser({ ...body, kind }, ip);
    },
  }),
  endpoint({
    method: "GET",
    paths: ["/_matrix/client/v3/register/available", "/_matrix/client/r0/register/available"],
    auth: "none",
    query: T.Object({ username: T.String() }),
    spec: "https://spec.matrix.org/v1.19/client-server-api/#get_matrixclientv3registeravailable",
    handler: ({ query }) => registration.available(query.username),
  }),
  endpoint({
    method: "GET",
    paths: ["/_matrix/client/v1/register/m.login.registration_token/validity"],
    auth: "none",
    rateLimit: "rc_registration_token_validity",
    query: T.Object({ token: T.String() }),
    spec: "https://spec.matrix.org/v1.19/client-server-api/#get_matrixclientv1registermloginregistration_tokenvalidity",
    handler: ({ query }) => registration.tokenValid(query.token),
  }),
];

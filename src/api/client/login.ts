// Login, login tokens, refresh, logout and whoami.
// https://spec.matrix.org/v1.19/client-server-api/#login
import { Type as T } from "@sinclair/typebox";
import type { Login } from "../../auth/login.ts";
import { tokenFromRequest, type Tokens } from "../../auth/tokens.ts";
import type { Uia } from "../../auth/uia.ts";
import { endpoint } from "../../http/endpoint.ts";
import { requesterUser } from "./requester-user.ts";

export interface LoginDeps {
  login: Login;
  tokens: Tokens;
  uia: Uia;
  /** login_via_existing_session.require_ui_auth */
  loginTokenNeedsUia: boolean;
}

const LoginBody = T.Object({
  type: T.String(),
  identifier: T.Optional(T.Unknown()),
  user: T.Optional(T.Unknown()),
  password: T.Optional(T.Unknown()),
  token: T.Optional(T.Unknown()),
  device_id: T.Optional(T.String({ minLength: 1 })),
  initial_device_display_name: T.Optional(T.String()),
  refresh_token: T.Optional(T.Boolean()),
});


export const loginEndpoints = (deps: LoginDeps) => [
  endpoint({
    method: "GET",
    paths: ["/_matrix/client/v3/login", "/_matrix/client/r0/login"],
    auth: "none",
    spec: "https://spec.matrix.org/v1.19/client-server-api/#get_matrixclientv3login",
    handler: () => ({ flows: deps.login.flows() }),
  }),
  endpoint({
    method: "POST",
    paths: ["/_matrix/client/v3/login", "/_matrix/client/r0/login"],
    auth: "none",
    body: LoginBody,
    spec: "https://spec.matrix.org/v1.19/client-server-api/#post_matrixclientv3login",
    // m.login.application_service carries the AS's as_token as the access token.
    handler: ({ body, ip, request }) => deps.login.login(body, ip, body.type === "m.login.application_service" ? tokenFromRequest(request) : null),
  }),
  endpoint({
    method: "POST",
    paths: ["/_matrix/client/v1/login/get_token"],
    auth: "accessToken",
    body: T.Object({ auth: T.Optional(T.Unknown()) }),
    spec: "https://spec.matrix.org/v1.19/client-server-api/#post_matrixclientv1loginget_token",
    handler: async ({ body, requester }) => {
      const { userId } = requesterUser(requester);
      deps.login.requireLoginTokens(); // 404 when disabled, before any UIA round
      if (deps.loginTokenNeedsUia) {
        await deps.uia.require({ auth: body.auth, operation: "get_login_token", userId, flows: [{ stages: ["m.login.password"] }] });
      }
      return deps.login.mintLoginToken(userId);
    },
  }),
  endpoint({
    method: "POST",
    paths: ["/_matrix/client/v3/refresh", "/_matrix/client/v1/refresh"],
    auth: "none",
    body: T.Object({ refresh_token: T.String() }),
    spec: "https://spec.matrix.org/v1.19/client-server-api/#post_matrixclientv3refresh",
    handler: async ({ body }) => {
      const issued = await deps.tokens.refresh(body.refresh_token);
      return { access_token: issued.accessToken, refresh_token: issued.refreshToken, expires_in_ms: issued.expiresInMs };
    },
  }),
  endpoint({
    method: "POST",
    paths: ["/_matrix/client/v3/logout", "/_matrix/client/r0/logout"],
    auth: "accessToken",
    allowGuests: true, // not on the spec's guest list, but a guest must be able to end its session (Synapse allows it)
    spec: "https://spec.matrix.org/v1.19/client-server-api/#post_matrixclientv3logout",
    handler: async ({ requester }) => {
      const { userId, deviceId } = requesterUser(requester);
      // "Invalidates an existing access token, so that it can no longer be used for authorization.
      // The device associated with the access token is also deleted."
      // An application service's as_token has no device and stays valid: nothing to do (as Synapse).
      if (deviceId !== null) await deps.tokens.deleteDevices(userId, [deviceId]);
      return {};
    },
  }),
  endpoint({
    method: "POST",
    paths: ["/_matrix/client/v3/logout/all", "/_matrix/client/r0/logout/all"],
    auth: "accessToken",
    spec: "https://spec.matrix.org/v1.19/client-server-api/#post_matrixclientv3logoutall",
    handler: async ({ requester }) => {
      await deps.tokens.deleteAllDevices(requesterUser(requester).userId);
      return {};
    },
  }),
  endpoint({
    method: "GET",
    paths: ["/_matrix/client/v3/account/whoami", "/_matrix/client/r0/account/whoami"],
    auth: "accessToken",
    allowGuests: true,
    spec: "https://spec.matrix.org/v1.19/client-server-api/#get_matrixclientv3accountwhoami",
    handler: ({ requester }) => {
      const { userId, deviceId, isGuest } = requesterUser(requester);
      return { user_id: userId, device_id: deviceId ?? undefined, is_guest: isGuest };
    },
  }),
];

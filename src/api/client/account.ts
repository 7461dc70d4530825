// Account management: POST /account/password, POST /account/deactivate, GET /account/3pid
// https://spec.matrix.org/v1.19/client-server-api/#account-management
// Both POSTs also allow calls without an access token in the spec (for 3PID-based flows); with
// no 3PIDs here, the token is required.
import { Type as T } from "@sinclair/typebox";
import type { Account } from "../../auth/account.ts";
import { endpoint } from "../../http/endpoint.ts";
import { requesterUser } from "./requester-user.ts";

const versions = (path: string) => [`/_matrix/client/v3${path}`, `/_matrix/client/r0${path}`];

export const accountEndpoints = (account: Account) => [
  endpoint({
    method: "POST",
    paths: versions("/account/password"),
    auth: "accessToken",
    body: T.Object({ new_password: T.String(), logout_devices: T.Optional(T.Boolean()), auth: T.Optional(T.Unknown()) }),
    spec: "https://spec.matrix.org/v1.19/client-server-api/#post_matrixclientv3accountpassword",
    handler: async ({ requester, body }) => {
      const user = requesterUser(requester);
      await account.changePassword(user.userId, user.deviceId, { newPassword: body.new_password, logoutDevices: body.logout_devices, auth: body.auth });
      return {};
    },
  }),
  endpoint({
    method: "POST",
    paths: versions("/account/deactivate"),
    auth: "accessToken",
    body: T.Object({ auth: T.Optional(T.Unknown()), erase: T.Optional(T.Boolean()), id_server: T.Optional(T.String()) }),
    spec: "https://spec.matrix.org/v1.19/client-server-api/#post_matrixclientv3accountdeactivate",
    handler: ({ requester, body }) => account.deactivate(requesterUser(requester).userId, { auth: body.auth, erase: body.erase }),
  }),
  endpoint({
    method: "GET",
    paths: versions("/account/3pid"),
    auth: "accessToken",
    spec: "https://spec.matrix.org/v1.19/client-server-api/#get_matrixclientv3account3pid",
    handler: ({ requester }) => {
      requesterUser(requester);
      return account.threepids();
    },
  }),
];

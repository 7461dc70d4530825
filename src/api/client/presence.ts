// Presence: GET/PUT /presence/{userId}/status
// https://spec.matrix.org/v1.19/client-server-api/#presence
import { Type as T } from "@sinclair/typebox";
import { endpoint } from "../../http/endpoint.ts";
import type { PresenceServices } from "../../sync/presence.ts";
import { requesterUser } from "./requester-user.ts";

const versions = (path: string) => [`/_matrix/client/v3${path}`, `/_matrix/client/r0${path}`];
const STATUS = "/presence/:userId/status";

export const presenceEndpoints = (presence: Pick<PresenceServices, "status" | "setStatus">) => [
  endpoint({
    method: "GET",
    paths: versions(STATUS),
    auth: "accessToken",
    spec: "https://spec.matrix.org/v1.19/client-server-api/#get_matrixclientv3presenceuseridstatus",
    handler: ({ requester, params }) => presence.status(requesterUser(requester).userId, params.userId!),
  }),
  endpoint({
    method: "PUT",
    paths: versions(STATUS),
    auth: "accessToken",
    // The value of `presence` is checked by the domain (M_INVALID_PARAM); wrong types are M_BAD_JSON.
    body: T.Object({ presence: T.String(), status_msg: T.Optional(T.String()) }),
    spec: "https://spec.matrix.org/v1.19/client-server-api/#put_matrixclientv3presenceuseridstatus",
    handler: async ({ requester, params, body }) => {
      await presence.setStatus(requesterUser(requester).userId, params.userId!, body.presence, body.status_msg);
      return {};
    },
  }),
];

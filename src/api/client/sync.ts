// GET /sync: the client's view of its rooms and account, initial or since a token, long-polling.
// https://spec.matrix.org/v1.19/client-server-api/#get_matrixclientv3sync
import { Type as T } from "@sinclair/typebox";
import { endpoint } from "../../http/endpoint.ts";
import type { Sync } from "../../sync/sync.ts";
import { requesterUser } from "./requester-user.ts";

const SPEC = "https://spec.matrix.org/v1.19/client-server-api/";

export const syncEndpoints = (sync: Sync) => [
  endpoint({
    method: "GET",
    paths: ["/_matrix/client/v3/sync", "/_matrix/client/r0/sync"],
    auth: "accessToken",
    allowGuests: true,
    query: T.Object({
      filter: T.Optional(T.String()),
      since: T.Optional(T.String()),
      full_state: T.Optional(T.Boolean()),
      set_presence: T.Optional(T.Union([T.Literal("offline"), T.Literal("online"), T.Literal("unavailable")])),
      timeout: T.Optional(T.Integer()),
      // MSC4222 state_after is not served yet: the spec lets clients fall back to `state` when it is absent.
      use_state_after: T.Optional(T.Boolean()),
    }),
    spec: `${SPEC}#get_matrixclientv3sync`,
    handler: ({ requester, query, request }) => {
      const { userId, deviceId } = requesterUser(requester);
      return sync.sync({ userId, deviceId }, query, request.signal);
    },
  }),
];

// Pushers: GET /pushers and POST /pushers/set.
// https://spec.matrix.org/v1.19/client-server-api/#get_matrixclientv3pushers
// https://spec.matrix.org/v1.19/client-server-api/#post_matrixclientv3pushersset
import { Type as T } from "@sinclair/typebox";
import { endpoint } from "../../http/endpoint.ts";
import type { Pushers } from "../../push/pushers.ts";
import { requesterUser } from "./requester-user.ts";

const versions = (path: string) => [`/_matrix/client/v3${path}`, `/_matrix/client/r0${path}`];
const SPEC = "https://spec.matrix.org/v1.19/client-server-api/#";

// Types only: which fields a kind requires, and their limits, are src/push/pushers.ts's to check.
const PusherSet = T.Object({
  kind: T.Optional(T.Union([T.String(), T.Null()])),
  app_id: T.Optional(T.String()),
  pushkey: T.Optional(T.String()),
  app_display_name: T.Optional(T.String()),
  device_display_name: T.Optional(T.String()),
  profile_tag: T.Optional(T.String()),
  lang: T.Optional(T.String()),
  data: T.Optional(T.Record(T.String(), T.Unknown())),
  append: T.Optional(T.Boolean()),
});

export const pusherEndpoints = (pushers: Pushers) => [
  endpoint({
    method: "GET",
    paths: versions("/pushers"),
    auth: "accessToken",
    spec: `${SPEC}get_matrixclientv3pushers`,
    handler: ({ requester }) => pushers.list(requesterUser(requester).userId),
  }),
  endpoint({
    method: "POST",
    paths: versions("/pushers/set"),
    auth: "accessToken",
    body: PusherSet,
    spec: `${SPEC}post_matrixclientv3pushersset`,
    handler: async ({ requester, body }) => {
      const user = requesterUser(requester);
      await pushers.set(user.userId, user.deviceId, body);
      return {};
    },
  }),
];

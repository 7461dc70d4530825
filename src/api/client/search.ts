// Server-side search: POST /search (category room_events).
// https://spec.matrix.org/v1.19/client-server-api/#post_matrixclientv3search
import { Type as T } from "@sinclair/typebox";
import { RoomEventFilter } from "../../auth/filters.ts";
import { endpoint } from "../../http/endpoint.ts";
import type { RoomSearch } from "../../rooms/search.ts";
import { requesterUser } from "./requester-user.ts";

const versions = (path: string) => [`/_matrix/client/v3${path}`, `/_matrix/client/r0${path}`];

/** Room Events Criteria (search.yaml). */
const RoomEventsCriteria = T.Object({
  search_term: T.String(),
  keys: T.Optional(T.Array(T.Union([T.Literal("content.body"), T.Literal("content.name"), T.Literal("content.topic")]))),
  filter: T.Optional(RoomEventFilter),
  order_by: T.Optional(T.Union([T.Literal("recent"), T.Literal("rank")])),
  event_context: T.Optional(
    T.Object({
      before_limit: T.Optional(T.Integer({ minimum: 0 })),
      after_limit: T.Optional(T.Integer({ minimum: 0 })),
      include_profile: T.Optional(T.Boolean()),
    }),
  ),
  include_state: T.Optional(T.Boolean()),
  groupings: T.Optional(T.Object({ group_by: T.Optional(T.Array(T.Object({ key: T.Optional(T.Union([T.Literal("room_id"), T.Literal("sender")])) }))) })),
});

// room_events is the only category the spec defines, so a request without it asks for nothing
// this server can search: refused as M_BAD_JSON rather than answered with an empty object.
const SearchBody = T.Object({ search_categories: T.Object({ room_events: RoomEventsCriteria }) });

export const searchEndpoints = (deps: { search: RoomSearch }) => [
  endpoint({
    method: "POST",
    paths: versions("/search"),
    auth: "accessToken",
    body: SearchBody,
    query: T.Object({ next_batch: T.Optional(T.String()) }),
    spec: "https://spec.matrix.org/v1.19/client-server-api/#post_matrixclientv3search",
    handler: async ({ requester, body, query }) => {
      const user = requesterUser(requester);
      const viewer = { userId: user.userId, deviceId: user.deviceId };
      return { search_categories: { room_events: await deps.search.roomEvents(viewer, body.search_categories.room_events, query.next_batch) } };
    },
  }),
];

// Filters: uploaded once, referenced by id from /sync and other event-returning APIs.
// https://spec.matrix.org/v1.19/client-server-api/#filtering
// https://spec.matrix.org/v1.19/client-server-api/#post_matrixclientv3useruseridfilter
import { Type as T, type Static } from "@sinclair/typebox";
import { forbidden, notFound } from "../protocol/matrix-error.ts";
import type { FiltersRepo } from "../storage/repos/filters.ts";

const UserIds = T.Array(T.String({ pattern: "^@" }));
const RoomIds = T.Array(T.String({ pattern: "^!" }));

/** EventFilter (data/api/client-server/definitions/event_filter.yaml). */
export const EventFilter = T.Object({
  limit: T.Optional(T.Integer({ minimum: 1 })),
  not_senders: T.Optional(UserIds),
  not_types: T.Optional(T.Array(T.String())),
  senders: T.Optional(UserIds),
  types: T.Optional(T.Array(T.String())),
});

/** RoomEventFilter (definitions/room_event_filter.yaml). */
export const RoomEventFilter = T.Composite([
  EventFilter,
  T.Object({
    unread_thread_notifications: T.Optional(T.Boolean()),
    lazy_load_members: T.Optional(T.Boolean()),
    include_redundant_members: T.Optional(T.Boolean()),
    not_rooms: T.Optional(RoomIds),
    rooms: T.Optional(RoomIds),
    contains_url: T.Optional(T.Boolean()),
  }),
]);

/** Filter (definitions/sync_filter.yaml). Unknown keys are allowed, as the spec's schema does. */
export const Filter = T.Object({
  event_fields: T.Optional(T.Array(T.String())),
  event_format: T.Optional(T.Union([T.Literal("client"), T.Literal("federation")])),
  presence: T.Optional(EventFilter),
  account_data: T.Optional(EventFilter),
  room: T.Optional(
    T.Object({
      not_rooms: T.Optional(RoomIds),
      rooms: T.Optional(RoomIds),
      ephemeral: T.Optional(RoomEventFilter),
      include_leave: T.Optional(T.Boolean()),
      state: T.Optional(RoomEventFilter),
      timeline: T.Optional(RoomEventFilter),
      account_data: T.Optional(RoomEventFilter),
    }),
  ),
});
export type Filter = Static<typeof Filter>;

/** Filter ids are decimal row ids; anything else names no filter. */
const FILTER_ID = /^[1-9][0-9]{0,15}$/;

export function createFilters(deps: { repo: FiltersRepo }) {
  const { repo } = deps;
  return {
    /** POST /user/{userId}/filter; `filter` already checked against `Filter`. Returns the id. */
    async create(requesterId: string, userId: string, filter: Filter): Promise<string> {
      if (requesterId !== userId) throw forbidden("Cannot create filters for other users");
      return String(await repo.insert(userId, filter as Record<string, unknown>));
    },

    /** GET /user/{userId}/filter/{filterId} */
    async get(requesterId: string, userId: string, filterId: string): Promise<Filter> {
      if (requesterId !== userId) throw forbidden("Cannot get filters of other users");
      const filter = FILTER_ID.test(filterId) ? await repo.get(userId, Number(filterId)) : null;
      if (!filter) throw notFound("Unknown filter");
      return filter as Filter;
    },
  };
}

export type Filters = ReturnType<typeof createFilters>;

// Filters: POST /user/{userId}/filter, GET /user/{userId}/filter/{filterId}
// https://spec.matrix.org/v1.19/client-server-api/#filtering
import { Filter, type Filters } from "../../auth/filters.ts";
import { endpoint } from "../../http/endpoint.ts";
import { requesterUser } from "./requester-user.ts";

const versions = (path: string) => [`/_matrix/client/v3${path}`, `/_matrix/client/r0${path}`];

// Guests may use filters: they need them for /sync (Synapse allows it too).
export const filterEndpoints = (filters: Filters) => [
  endpoint({
    method: "POST",
    paths: versions("/user/:userId/filter"),
    auth: "accessToken",
    allowGuests: true,
    body: Filter,
    spec: "https://spec.matrix.org/v1.19/client-server-api/#post_matrixclientv3useruseridfilter",
    handler: async ({ requester, params, body }) => ({
      filter_id: await filters.create(requesterUser(requester).userId, params.userId!, body),
    }),
  }),
  endpoint({
    method: "GET",
    paths: versions("/user/:userId/filter/:filterId"),
    auth: "accessToken",
    allowGuests: true,
    spec: "https://spec.matrix.org/v1.19/client-server-api/#get_matrixclientv3useruseridfilterfilterid",
    handler: ({ requester, params }) => filters.get(requesterUser(requester).userId, params.userId!, params.filterId!),
  }),
];

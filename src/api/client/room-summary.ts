// GET /room_summary/{roomIdOrAlias} (src/rooms/room-summary.ts); `via` is accepted and unused.
// https://spec.matrix.org/v1.19/client-server-api/#get_matrixclientv1room_summaryroomidoralias
import { endpoint } from "../../http/endpoint.ts";
import type { RoomSummaries } from "../../rooms/room-summary.ts";
import { requesterUser } from "./requester-user.ts";

export const roomSummaryEndpoints = (summaries: RoomSummaries) => [
  endpoint({
    method: "GET",
    paths: ["/_matrix/client/v1/room_summary/:roomIdOrAlias"],
    // Limit: callers need an access token (the spec lets servers also answer anonymous callers).
    auth: "accessToken",
    allowGuests: true,
    spec: "https://spec.matrix.org/v1.19/client-server-api/#get_matrixclientv1room_summaryroomidoralias",
    handler: ({ requester, params }) => summaries.summary(requesterUser(requester).userId, params.roomIdOrAlias!),
  }),
];

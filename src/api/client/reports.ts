// Reporting content: POST /rooms/{roomId}/report/{eventId}, /rooms/{roomId}/report, /users/{userId}/report
// https://spec.matrix.org/v1.19/client-server-api/#reporting-content
import { Type as T } from "@sinclair/typebox";
import { endpoint } from "../../http/endpoint.ts";
import type { Reports } from "../../rooms/reports.ts";
import { requesterUser } from "./requester-user.ts";

const V3 = "/_matrix/client/v3";

export const reportEndpoints = (reports: Reports) => [
  endpoint({
    method: "POST",
    paths: [`${V3}/rooms/:roomId/report/:eventId`, "/_matrix/client/r0/rooms/:roomId/report/:eventId"],
    auth: "accessToken",
    // score left the spec in v1.18; older clients still send it.
    body: T.Object({ reason: T.Optional(T.String()), score: T.Optional(T.Integer()) }),
    spec: "https://spec.matrix.org/v1.19/client-server-api/#post_matrixclientv3roomsroomidreporteventid",
    handler: async ({ requester, params, body }) => {
      await reports.reportEvent(requesterUser(requester).userId, params.roomId!, params.eventId!, body);
      return {};
    },
  }),
  endpoint({
    method: "POST",
    paths: [`${V3}/rooms/:roomId/report`],
    auth: "accessToken",
    body: T.Object({ reason: T.String() }),
    spec: "https://spec.matrix.org/v1.19/client-server-api/#post_matrixclientv3roomsroomidreport",
    handler: async ({ requester, params, body }) => {
      await reports.reportRoom(requesterUser(requester).userId, params.roomId!, body.reason);
      return {};
    },
  }),
  endpoint({
    method: "POST",
    paths: [`${V3}/users/:userId/report`],
    auth: "accessToken",
    body: T.Object({ reason: T.String() }),
    spec: "https://spec.matrix.org/v1.19/client-server-api/#post_matrixclientv3usersuseridreport",
    handler: async ({ requester, params, body }) => {
      await reports.reportUser(requesterUser(requester).userId, params.userId!, body.reason);
      return {};
    },
  }),
];

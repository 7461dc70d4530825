// Synapse's event report admin API.
// shared/reference/synapse-admin-api/event_reports.md
import { Type as T } from "@sinclair/typebox";
import type { AdminReports } from "../../rooms/admin-reports.ts";
import { adminRoute, DEFAULT_LIMIT, dirParam, pageParams, type IsAdmin } from "./admin-auth.ts";

const SPEC = "https://element-hq.github.io/synapse/latest/admin_api/event_reports.html";

export function adminEventReportEndpoints(reports: AdminReports, isAdmin: IsAdmin) {
  const route = adminRoute(isAdmin);
  return [
    route({
      method: "GET", paths: ["/_synapse/admin/v1/event_reports"], spec: `${SPEC}#show-reported-events`,
      query: T.Object({
        ...pageParams, dir: dirParam(), user_id: T.Optional(T.String()), room_id: T.Optional(T.String()), event_sender_user_id: T.Optional(T.String()),
      }),
      handler: ({ query }) =>
        reports.list({
          from: query.from ?? 0, limit: query.limit ?? DEFAULT_LIMIT, descending: query.dir !== "f",
          reporter: query.user_id, roomId: query.room_id, eventSender: query.event_sender_user_id,
        }),
    }),
    route({
      method: "GET", paths: ["/_synapse/admin/v1/event_reports/:reportId"], spec: `${SPEC}#show-details-of-a-specific-event-report`,
      handler: ({ params }) => reports.get(params.reportId!),
    }),
    route({
      method: "DELETE", paths: ["/_synapse/admin/v1/event_reports/:reportId"], spec: `${SPEC}#delete-a-specific-event-report`,
      handler: ({ params }) => reports.delete(params.reportId!),
    }),
  ];
}

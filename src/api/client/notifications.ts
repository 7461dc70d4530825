// GET /notifications: the events the user was notified about, paginated newest first.
// https://spec.matrix.org/v1.19/client-server-api/#get_matrixclientv3notifications
import { Type as T } from "@sinclair/typebox";
import { endpoint } from "../../http/endpoint.ts";
import type { Notifications } from "../../push/notifications.ts";
import { requesterUser } from "./requester-user.ts";

export const notificationEndpoints = (notifications: Notifications) => [
  endpoint({
    method: "GET",
    paths: ["/_matrix/client/v3/notifications", "/_matrix/client/r0/notifications"],
    auth: "accessToken",
    query: T.Object({ from: T.Optional(T.String()), limit: T.Optional(T.Integer({ minimum: 0 })), only: T.Optional(T.String()) }),
    spec: "https://spec.matrix.org/v1.19/client-server-api/#get_matrixclientv3notifications",
    handler: ({ requester, query }) => {
      const { userId, deviceId } = requesterUser(requester);
      return notifications.list(userId, deviceId, query);
    },
  }),
];

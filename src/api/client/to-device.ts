// PUT /sendToDevice/{eventType}/{txnId}: send-to-device messaging.
// https://spec.matrix.org/v1.19/client-server-api/#send-to-device-messaging
import { Type as T } from "@sinclair/typebox";
import { endpoint } from "../../http/endpoint.ts";
import type { ToDevice } from "../../sync/to-device.ts";
import { requesterUser } from "./requester-user.ts";

export const toDeviceEndpoints = (toDevice: ToDevice) => [
  endpoint({
    method: "PUT",
    paths: ["/_matrix/client/v3/sendToDevice/:eventType/:txnId", "/_matrix/client/r0/sendToDevice/:eventType/:txnId"],
    auth: "accessToken",
    // Guests may (guest access module).
    allowGuests: true,
    body: T.Object({ messages: T.Record(T.String(), T.Unknown()) }),
    spec: "https://spec.matrix.org/v1.19/client-server-api/#put_matrixclientv3sendtodeviceeventtypetxnid",
    handler: async ({ requester, params, body }) => {
      const user = requesterUser(requester);
      await toDevice.send(user.userId, user.deviceId, params.eventType!, params.txnId!, body.messages);
      return {};
    },
  }),
];

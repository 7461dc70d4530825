// Receipts: POST /rooms/{roomId}/receipt/{receiptType}/{eventId}
// https://spec.matrix.org/v1.19/client-server-api/#receipts
import { Type as T } from "@sinclair/typebox";
import { endpoint } from "../../http/endpoint.ts";
import type { Receipts } from "../../rooms/receipts.ts";
import { requesterUser } from "./requester-user.ts";

const versions = (path: string) => [`/_matrix/client/v3${path}`, `/_matrix/client/r0${path}`];

export const receiptEndpoints = (receipts: Pick<Receipts, "post">) => [
  endpoint({
    method: "POST",
    paths: versions("/rooms/:roomId/receipt/:receiptType/:eventId"),
    auth: "accessToken",
    // thread_id is checked by the domain: the spec answers a bad one with M_INVALID_PARAM, not M_BAD_JSON.
    body: T.Object({ thread_id: T.Optional(T.Unknown()) }),
    spec: "https://spec.matrix.org/v1.19/client-server-api/#post_matrixclientv3roomsroomidreceiptreceipttypeeventid",
    handler: async ({ requester, params, body }) => {
      await receipts.post(requesterUser(requester).userId, params.roomId!, params.receiptType!, params.eventId!, body.thread_id);
      return {};
    },
  }),
];

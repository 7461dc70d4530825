// Account data, global and per room: GET/PUT /user/{userId}[/rooms/{roomId}]/account_data/{type}
// https://spec.matrix.org/v1.19/client-server-api/#client-config
import { Type as T } from "@sinclair/typebox";
import type { AccountData } from "../../auth/account-data.ts";
import { endpoint } from "../../http/endpoint.ts";
import { requesterUser } from "./requester-user.ts";

const versions = (path: string) => [`/_matrix/client/v3${path}`, `/_matrix/client/r0${path}`];
const GLOBAL = "/user/:userId/account_data/:type";
const ROOM = "/user/:userId/rooms/:roomId/account_data/:type";
const Content = T.Record(T.String(), T.Unknown());

export const accountDataEndpoints = (accountData: AccountData) => [
  endpoint({
    method: "PUT",
    paths: versions(GLOBAL),
    auth: "accessToken",
    body: Content,
    spec: "https://spec.matrix.org/v1.19/client-server-api/#put_matrixclientv3useruseridaccount_datatype",
    handler: async ({ requester, params, body }) => {
      await accountData.put(requesterUser(requester).userId, params.userId!, null, params.type!, body);
      return {};
    },
  }),
  endpoint({
    method: "GET",
    paths: versions(GLOBAL),
    auth: "accessToken",
    spec: "https://spec.matrix.org/v1.19/client-server-api/#get_matrixclientv3useruseridaccount_datatype",
    handler: ({ requester, params }) => accountData.get(requesterUser(requester).userId, params.userId!, null, params.type!),
  }),
  endpoint({
    method: "PUT",
    paths: versions(ROOM),
    auth: "accessToken",
    body: Content,
    spec: "https://spec.matrix.org/v1.19/client-server-api/#put_matrixclientv3useruseridroomsroomidaccount_datatype",
    handler: async ({ requester, params, body }) => {
      await accountData.put(requesterUser(requester).userId, params.userId!, params.roomId!, params.type!, body);
      return {};
    },
  }),
  endpoint({
    method: "GET",
    paths: versions(ROOM),
    auth: "accessToken",
    spec: "https://spec.matrix.org/v1.19/client-server-api/#get_matrixclientv3useruseridroomsroomidaccount_datatype",
    handler: ({ requester, params }) => accountData.get(requesterUser(requester).userId, params.userId!, params.roomId!, params.type!),
  }),
];

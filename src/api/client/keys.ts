// E2EE key endpoints: POST /keys/upload, /keys/query, /keys/claim and GET /keys/changes.
// https://spec.matrix.org/v1.19/client-server-api/#end-to-end-encryption
// https://spec.matrix.org/v1.19/client-server-api/#key-management-api
import { Type as T } from "@sinclair/typebox";
import type { DeviceKeys } from "../../auth/device-keys.ts";
import type { KeysQuery } from "../../auth/keys-query.ts";
import { endpoint } from "../../http/endpoint.ts";
import { MatrixError } from "../../protocol/matrix-error.ts";
import type { DeviceLists } from "../../sync/device-lists.ts";
import { parseSyncToken } from "../../sync/token.ts";
import { requesterUser } from "./requester-user.ts";

const SPEC = "https://spec.matrix.org/v1.19/client-server-api/";
const versions = (path: string) => [`/_matrix/client/v3${path}`, `/_matrix/client/r0${path}`];

export interface KeysEndpointDeps {
  deviceKeys: DeviceKeys;
  keysQuery: KeysQuery;
  deviceLists: Pick<DeviceLists, "changesNow">;
}

export const keysEndpoints = ({ deviceKeys, keysQuery, deviceLists }: KeysEndpointDeps) => [
  endpoint({
    method: "POST",
    paths: versions("/keys/upload"),
    auth: "accessToken",
    allowGuests: true,
    body: T.Object({ device_keys: T.Optional(T.Unknown()), one_time_keys: T.Optional(T.Unknown()), fallback_keys: T.Optional(T.Unknown()) }),
    spec: `${SPEC}#post_matrixclientv3keysupload`,
    handler: ({ requester, body }) => {
      const { userId, deviceId } = requesterUser(requester);
      if (!deviceId) throw new MatrixError(400, "M_INVALID_PARAM", "This access token has no device to upload keys for");
      return deviceKeys.upload(userId, deviceId, body);
    },
  }),
  endpoint({
    method: "POST",
    paths: versions("/keys/query"),
    auth: "accessToken",
    allowGuests: true,
    body: T.Object({ device_keys: T.Record(T.String(), T.Union([T.Array(T.String()), T.Null()])), timeout: T.Optional(T.Integer()) }),
    spec: `${SPEC}#post_matrixclientv3keysquery`,
    handler: ({ requester, body }) => keysQuery.query(requesterUser(requester).userId, body),
  }),
  endpoint({
    method: "POST",
    paths: versions("/keys/claim"),
    auth: "accessToken",
    allowGuests: true,
    body: T.Object({ one_time_keys: T.Record(T.String(), T.Record(T.String(), T.String())), timeout: T.Optional(T.Integer()) }),
    spec: `${SPEC}#post_matrixclientv3keysclaim`,
    handler: ({ body }) => keysQuery.claim(body),
  }),
  endpoint({
    method: "GET",
    paths: versions("/keys/changes"),
    auth: "accessToken",
    allowGuests: true,
    query: T.Object({ from: T.String(), to: T.String() }),
    spec: `${SPEC}#get_matrixclientv3keyschanges`,
    handler: ({ requester, query }) => {
      const from = parseSyncToken(query.from);
      const to = parseSyncToken(query.to);
      return deviceLists.changesNow(requesterUser(requester).userId, from, to);
    },
  }),
];

// Device keys of our users for other servers: POST /user/keys/query, POST /user/keys/claim and
// GET /user/devices/{userId}.
// https://spec.matrix.org/v1.19/server-server-api/#end-to-end-encryption
// https://spec.matrix.org/v1.19/server-server-api/#device-management
import { Type as T } from "@sinclair/typebox";
import type { KeysQuery } from "../../auth/keys-query.ts";
import { endpoint } from "../../http/endpoint.ts";

const SPEC = "https://spec.matrix.org/v1.19/server-server-api/";

export const federationUserKeysEndpoints = (keysQuery: Pick<KeysQuery, "queryForServer" | "claimForServer" | "devicesForServer">) => [
  endpoint({
    method: "POST",
    paths: ["/_matrix/federation/v1/user/keys/query"],
    auth: "server",
    body: T.Object({ device_keys: T.Record(T.String(), T.Union([T.Array(T.String()), T.Null()])) }),
    spec: `${SPEC}#post_matrixfederationv1userkeysquery`,
    handler: ({ body }) => keysQuery.queryForServer(body.device_keys),
  }),
  endpoint({
    method: "POST",
    paths: ["/_matrix/federation/v1/user/keys/claim"],
    auth: "server",
    body: T.Object({ one_time_keys: T.Record(T.String(), T.Record(T.String(), T.String())) }),
    spec: `${SPEC}#post_matrixfederationv1userkeysclaim`,
    handler: ({ body }) => keysQuery.claimForServer(body.one_time_keys),
  }),
  endpoint({
    method: "GET",
    paths: ["/_matrix/federation/v1/user/devices/:userId"],
    auth: "server",
    spec: `${SPEC}#get_matrixfederationv1userdevicesuserid`,
    handler: ({ params }) => keysQuery.devicesForServer(params.userId!),
  }),
];

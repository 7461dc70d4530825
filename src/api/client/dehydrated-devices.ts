// Dehydrated devices, MSC3814 (unstable prefix org.matrix.msc3814.v1): PUT/GET/DELETE
// /dehydrated_device and the dehydrated device's to-device messages, GET .../events?from= as
// the MSC describes and POST .../events {next_batch} as Synapse and the client SDKs call it.
// https://github.com/matrix-org/matrix-spec-proposals/pull/3814
import { Type as T } from "@sinclair/typebox";
import { endpoint } from "../../http/endpoint.ts";
import type { DehydratedDevices } from "../../sync/dehydrated-devices.ts";
import { requesterUser } from "./requester-user.ts";

const SPEC = "https://github.com/matrix-org/matrix-spec-proposals/blob/main/proposals/3814-dehydrated-devices-with-ssss.md";
const PATH = "/_matrix/client/unstable/org.matrix.msc3814.v1/dehydrated_device";

export const dehydratedDeviceEndpoints = (dehydrated: DehydratedDevices) => [
  endpoint({
    method: "PUT",
    paths: [PATH],
    auth: "accessToken",
    body: T.Object({
      device_id: T.String(),
      device_data: T.Record(T.String(), T.Unknown()),
      initial_device_display_name: T.Optional(T.String()),
      device_keys: T.Unknown(),
      one_time_keys: T.Optional(T.Unknown()),
      fallback_keys: T.Optional(T.Unknown()),
    }),
    spec: `${SPEC}#dehydrating-a-device`,
    handler: ({ requester, body }) => dehydrated.put(requesterUser(requester).userId, body),
  }),
  endpoint({
    method: "GET",
    paths: [PATH],
    auth: "accessToken",
    spec: `${SPEC}#rehydrating-a-device`,
    handler: ({ requester }) => dehydrated.get(requesterUser(requester).userId),
  }),
  endpoint({
    method: "DELETE",
    paths: [PATH],
    auth: "accessToken",
    spec: `${SPEC}#deleting-a-dehydrated-device`,
    handler: ({ requester }) => dehydrated.delete(requesterUser(requester).userId),
  }),
  endpoint({
    method: "GET",
    paths: [`${PATH}/:deviceId/events`],
    auth: "accessToken",
    query: T.Object({ from: T.Optional(T.String()) }),
    spec: `${SPEC}#rehydrating-a-device`,
    handler: ({ requester, params, query }) => dehydrated.events(requesterUser(requester).userId, params.deviceId!, query.from),
  }),
  endpoint({
    method: "POST",
    paths: [`${PATH}/:deviceId/events`],
    auth: "accessToken",
    body: T.Object({ next_batch: T.Optional(T.String()) }),
    spec: `${SPEC}#rehydrating-a-device`,
    handler: ({ requester, params, body }) => dehydrated.events(requesterUser(requester).userId, params.deviceId!, body.next_batch),
  }),
];

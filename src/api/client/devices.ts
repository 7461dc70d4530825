// Device management: GET /devices, GET/PUT/DELETE /devices/{deviceId}, POST /delete_devices
// https://spec.matrix.org/v1.19/client-server-api/#device-management
import { Type as T } from "@sinclair/typebox";
import type { Devices } from "../../auth/devices.ts";
import { parseJsonObject, readBody } from "../../http/body.ts";
import { endpoint } from "../../http/endpoint.ts";
import { requesterUser } from "./requester-user.ts";

const versions = (path: string) => [`/_matrix/client/v3${path}`, `/_matrix/client/r0${path}`];

export interface DevicesEndpointDeps {
  devices: Devices;
  /** Config max_request_body_size, for DELETE's optional body. */
  maxBodySize: number;
}

export const deviceEndpoints = ({ devices, maxBodySize }: DevicesEndpointDeps) => [
  endpoint({
    method: "GET",
    paths: versions("/devices"),
    auth: "accessToken",
    allowGuests: true,
    spec: "https://spec.matrix.org/v1.19/client-server-api/#get_matrixclientv3devices",
    handler: async ({ requester }) => ({ devices: await devices.list(requesterUser(requester).userId) }),
  }),
  endpoint({
    method: "GET",
    paths: versions("/devices/:deviceId"),
    auth: "accessToken",
    allowGuests: true,
    spec: "https://spec.matrix.org/v1.19/client-server-api/#get_matrixclientv3devicesdeviceid",
    handler: ({ requester, params }) => devices.get(requesterUser(requester).userId, params.deviceId!),
  }),
  endpoint({
    method: "PUT",
    paths: versions("/devices/:deviceId"),
    auth: "accessToken",
    allowGuests: true,
    body: T.Object({ display_name: T.Optional(T.String()) }),
    spec: "https://spec.matrix.org/v1.19/client-server-api/#put_matrixclientv3devicesdeviceid",
    handler: async ({ requester, params, body }) => {
      await devices.update(requesterUser(requester).userId, params.deviceId!, body.display_name);
      return {};
    },
  }),
  endpoint({
    method: "DELETE",
    paths: versions("/devices/:deviceId"),
    auth: "accessToken",
    spec: "https://spec.matrix.org/v1.19/client-server-api/#delete_matrixclientv3devicesdeviceid",
    handler: async ({ requester, params, request }) => {
      const user = requesterUser(requester);
      // The body is required by the spec, but clients often send none before the UIA round trip.
      const bytes = await readBody(request, maxBodySize);
      const body = bytes.length === 0 ? {} : parseJsonObject(bytes);
      await devices.delete(user.userId, [params.deviceId!], body.auth);
      return {};
    },
  }),
  endpoint({
    method: "POST",
    paths: versions("/delete_devices"),
    auth: "accessToken",
    body: T.Object({ devices: T.Array(T.String()), auth: T.Optional(T.Unknown()) }),
    spec: "https://spec.matrix.org/v1.19/client-server-api/#post_matrixclientv3delete_devices",
    handler: async ({ requester, body }) => {
      await devices.delete(requesterUser(requester).userId, body.devices, body.auth);
      return {};
    },
  }),
];

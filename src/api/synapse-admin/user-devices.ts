// Synapse's user admin API, devices and sessions: devices (list, show, create, rename, delete one
// or many), whois and joined rooms.
// shared/reference/synapse-admin-api/user_admin_api.md#user-devices
import { Type as T } from "@sinclair/typebox";
import type { AdminDevices } from "../../auth/admin-devices.ts";
import { MatrixError } from "../../protocol/matrix-error.ts";
import { adminRoute, optionalJsonBody, type IsAdmin } from "./admin-auth.ts";

const SPEC = "https://element-hq.github.io/synapse/latest/admin_api/user_admin_api.html";

export function adminUserDeviceEndpoints(devices: AdminDevices, isAdmin: IsAdmin) {
  const route = adminRoute(isAdmin);
  return [
    route({
      method: "GET", paths: ["/_synapse/admin/v2/users/:userId/devices"], spec: `${SPEC}#list-all-devices`,
      handler: ({ params }) => devices.list(params.userId!),
    }),
    route({
      method: "POST", paths: ["/_synapse/admin/v2/users/:userId/devices"], body: T.Object({ device_id: T.String() }), spec: `${SPEC}#create-a-device`,
      handler: async ({ params, body }) => (await devices.create(params.userId!, body.device_id), {}),
    }),
    route({
      method: "GET", paths: ["/_synapse/admin/v2/users/:userId/devices/:deviceId"], spec: `${SPEC}#show-a-device`,
      handler: ({ params }) => devices.get(params.userId!, params.deviceId!),
    }),
    route({
      // Synapse allows an empty body here.
      method: "PUT", paths: ["/_synapse/admin/v2/users/:userId/devices/:deviceId"], spec: `${SPEC}#update-a-device`,
      handler: async ({ params, request }) => {
        const { display_name: displayName } = await optionalJsonBody(request);
        if (displayName !== undefined && typeof displayName !== "string") throw new MatrixError(400, "M_INVALID_PARAM", "display_name must be a string");
        await devices.rename(params.userId!, params.deviceId!, displayName);
        return {};
      },
    }),
    route({
      method: "DELETE", paths: ["/_synapse/admin/v2/users/:userId/devices/:deviceId"], spec: `${SPEC}#delete-a-device`,
      handler: async ({ params }) => (await devices.delete(params.userId!, [params.deviceId!]), {}),
    }),
    route({
      method: "POST", paths: ["/_synapse/admin/v2/users/:userId/delete_devices"], body: T.Object({ devices: T.Array(T.String()) }),
      spec: `${SPEC}#delete-multiple-devices`,
      handler: async ({ params, body }) => (await devices.delete(params.userId!, body.devices), {}),
    }),
    route({
      method: "GET", paths: ["/_synapse/admin/v1/whois/:userId"], spec: `${SPEC}#query-current-sessions-for-a-user`,
      handler: ({ params }) => devices.whois(params.userId!),
    }),
    route({
      method: "GET", paths: ["/_synapse/admin/v1/users/:userId/joined_rooms"], spec: `${SPEC}#list-joined-rooms-of-a-user`,
      handler: ({ params }) => devices.joinedRooms(params.userId!),
    }),
  ];
}

// Synapse's admin API (/_synapse/admin), served on the client listener as Synapse does; every
// endpoint but shared-secret registration (./register.ts) needs a server admin's access token.
// shared/reference/synapse-admin-api/admin-api-authentication.md
import type { AdminMedia } from "../../media/admin-media.ts";
import type { Endpoint } from "../../http/endpoint.ts";
import type { AdminServices } from "../../rooms/admin-services.ts";
import { adminRoute } from "./admin-auth.ts";
import { adminEventReportEndpoints } from "./event-reports.ts";
import { adminRegistrationTokenEndpoints } from "./registration-tokens.ts";
import { adminMediaEndpoints } from "./media.ts";
import { adminRoomDeletionEndpoints } from "./room-deletion.ts";
import { adminRoomEndpoints } from "./rooms.ts";
import { adminUserDeviceEndpoints } from "./user-devices.ts";
import { adminUserEndpoints } from "./users.ts";

/** `media`: the media admin API (src/media/admin-media.ts), absent without a media repository. */
export function synapseAdminEndpoints(admin: AdminServices, media?: AdminMedia): Endpoint[] {
  const { isAdmin } = admin;
  return [
    // shared/reference/synapse-admin-api/version_api.md
    adminRoute(isAdmin)({
      method: "GET", paths: ["/_synapse/admin/v1/server_version"], spec: "https://element-hq.github.io/synapse/latest/admin_api/version_api.html",
      handler: () => ({ server_version: admin.version }),
    }),
    ...adminUserEndpoints(admin.users, isAdmin),
    ...adminUserDeviceEndpoints(admin.devices, isAdmin),
    ...adminRegistrationTokenEndpoints(admin.registrationTokens, isAdmin),
    ...adminRoomEndpoints(admin.rooms, isAdmin),
    ...adminEventReportEndpoints(admin.reports, isAdmin),
    ...adminRoomDeletionEndpoints(admin.roomDeletion, admin.moderation, isAdmin),
    ...(media ? adminMediaEndpoints(media, admin.users, isAdmin) : []),
  ];
}

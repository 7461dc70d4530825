// Synapse's media admin API for local media: quarantine, protection, deletion.
// shared/reference/synapse-admin-api/media_admin_api.md,
// shared/reference/synapse-admin-api/user_admin_api.md#delete-media-uploaded-by-a-user
import { Type as T } from "@sinclair/typebox";
import { MEDIA_ORDERS, type AdminUsers, type MediaOrder } from "../../auth/admin-users.ts";
import type { AdminMedia } from "../../media/admin-media.ts";
import { MatrixError } from "../../protocol/matrix-error.ts";
import { adminRoute, boolParam, DEFAULT_LIMIT, dirParam, oneOf, pageParams, parseBool, type IsAdmin } from "./admin-auth.ts";

const SPEC = "https://element-hq.github.io/synapse/latest/admin_api/media_admin_api.html";

const deleteOldQuery = T.Object({
  before_ts: T.Optional(T.Integer()), size_gt: T.Optional(T.Integer()), keep_profiles: boolParam(),
});

export function adminMediaEndpoints(media: AdminMedia, users: AdminUsers, isAdmin: IsAdmin) {
  const route = adminRoute(isAdmin);
  const deleteOld = (query: { before_ts?: number; size_gt?: number; keep_profiles?: "true" | "false" }, origin?: string) => {
    if (query.before_ts === undefined) throw new MatrixError(400, "M_MISSING_PARAM", "Missing integer query parameter 'before_ts'");
    if (query.before_ts < 0) throw new MatrixError(400, "M_INVALID_PARAM", "Query parameter before_ts must be a positive integer.");
    if ((query.size_gt ?? 0) < 0) throw new MatrixError(400, "M_INVALID_PARAM", "Query parameter size_gt must be a string representing a positive integer.");
    return media.deleteOld({ beforeTs: query.before_ts, sizeGt: query.size_gt ?? 0, keepProfiles: parseBool(query.keep_profiles) ?? true, origin });
  };
  return [
    route({
      method: "POST", paths: ["/_synapse/admin/v1/media/quarantine/:serverName/:mediaId"], spec: `${SPEC}#quarantining-media-by-id`,
      handler: ({ params }, admin) => media.quarantine(admin, params.serverName!, params.mediaId!),
    }),
    route({
      method: "POST", paths: ["/_synapse/admin/v1/media/unquarantine/:serverName/:mediaId"], spec: `${SPEC}#remove-media-from-quarantine-by-id`,
      handler: ({ params }) => media.unquarantine(params.serverName!, params.mediaId!),
    }),
    route({
      method: "POST", paths: ["/_synapse/admin/v1/room/:roomId/media/quarantine", "/_synapse/admin/v1/quarantine_media/:roomId"],
      spec: `${SPEC}#quarantining-media-in-a-room`,
      handler: ({ params }, admin) => media.quarantineRoom(admin, params.roomId!),
    }),
    route({
      method: "POST", paths: ["/_synapse/admin/v1/user/:userId/media/quarantine"], spec: `${SPEC}#quarantining-all-media-of-a-user`,
      handler: ({ params }, admin) => media.quarantineUser(admin, params.userId!),
    }),
    route({
      method: "POST", paths: ["/_synapse/admin/v1/media/protect/:mediaId"], spec: `${SPEC}#protecting-media-from-being-quarantined`,
      handler: ({ params }) => media.setProtected(params.mediaId!, true),
    }),
    route({
      method: "POST", paths: ["/_synapse/admin/v1/media/unprotect/:mediaId"], spec: `${SPEC}#unprotecting-media-from-being-quarantined`,
      handler: ({ params }) => media.setProtected(params.mediaId!, false),
    }),
    route({
      method: "DELETE", paths: ["/_synapse/admin/v1/media/:serverName/:mediaId"], spec: `${SPEC}#delete-a-specific-local-media`,
      handler: ({ params }) => media.deleteOne(params.serverName!, params.mediaId!),
    }),
    route({
      method: "POST", paths: ["/_synapse/admin/v1/media/delete"], query: deleteOldQuery, spec: `${SPEC}#delete-local-media-by-date-or-size`,
      handler: ({ query }) => deleteOld(query),
    }),
    route({
      // Deprecated in Synapse 1.78 but still served.
      method: "POST", paths: ["/_synapse/admin/v1/media/:serverName/delete"], query: deleteOldQuery, spec: `${SPEC}#delete-local-media-by-date-or-size`,
      handler: ({ params, query }) => deleteOld(query, params.serverName!),
    }),
    route({
      // The page the list with the same parameters shows (user_admin_api.md#delete-media-uploaded-by-a-user).
      method: "DELETE", paths: ["/_synapse/admin/v1/users/:userId/media"],
      query: T.Object({ ...pageParams, order_by: oneOf(MEDIA_ORDERS), dir: dirParam() }),
      spec: "https://element-hq.github.io/synapse/latest/admin_api/user_admin_api.html#delete-media-uploaded-by-a-user",
      handler: async ({ params, query }) => {
        const page = await users.media(params.userId!, {
          from: query.from ?? 0, limit: query.limit ?? DEFAULT_LIMIT, orderBy: (query.order_by ?? "created_ts") as MediaOrder,
          descending: query.dir === undefined ? query.order_by === undefined : query.dir === "b",
        });
        return media.deleteMany(page.media.map((item) => item.media_id));
      },
    }),
  ];
}

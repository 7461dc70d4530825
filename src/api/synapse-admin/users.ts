// Synapse's user admin API: accounts (query, list, create or modify, deactivate, reset
// password, admin flag, account data, media). Devices and sessions are in ./user-devices.ts.
// shared/reference/synapse-admin-api/user_admin_api.md
import { Type as T } from "@sinclair/typebox";
import { MEDIA_ORDERS, USER_ORDERS, type AdminUsers, type MediaOrder, type UserOrder } from "../../auth/admin-users.ts";
import { reply } from "../../http/endpoint.ts";
import { MatrixError } from "../../protocol/matrix-error.ts";
import { adminRoute, boolParam, DEFAULT_LIMIT, dirParam, oneOf, optionalJsonBody, pageParams, parseBool, type IsAdmin } from "./admin-auth.ts";

const SPEC = "https://element-hq.github.io/synapse/latest/admin_api/user_admin_api.html";

const listQuery = T.Object({
  ...pageParams,
  guests: boolParam(), deactivated: boolParam(), admins: boolParam(), locked: boolParam(),
  name: T.Optional(T.String()), user_id: T.Optional(T.String()),
  order_by: oneOf(USER_ORDERS), dir: dirParam(),
});

const userChange = T.Object({
  password: T.Optional(T.String()),
  logout_devices: T.Optional(T.Boolean()),
  displayname: T.Optional(T.String()),
  avatar_url: T.Optional(T.String()),
  admin: T.Optional(T.Boolean()),
  deactivated: T.Optional(T.Boolean()),
  threepids: T.Optional(T.Array(T.Unknown())),
  external_ids: T.Optional(T.Array(T.Unknown())),
  user_type: T.Optional(T.Union([T.String(), T.Null()])),
  locked: T.Optional(T.Boolean()),
});

export function adminUserEndpoints(users: AdminUsers, isAdmin: IsAdmin) {
  const route = adminRoute(isAdmin);
  /** v2 counts deactivated accounts only when asked (default false); v3 filters only when asked. */
  const list = (version: "v2" | "v3") =>
    route({
      method: "GET", paths: [`/_synapse/admin/${version}/users`], query: listQuery, spec: `${SPEC}#list-accounts`,
      handler: ({ query }) =>
        users.list({
          from: query.from ?? 0, limit: query.limit ?? DEFAULT_LIMIT, orderBy: (query.order_by ?? "name") as UserOrder,
          descending: query.dir === "b", name: query.name, userId: query.user_id, guests: parseBool(query.guests) ?? true,
          admins: parseBool(query.admins), locked: parseBool(query.locked),
          deactivated: version === "v2" ? (parseBool(query.deactivated) === true ? undefined : false) : parseBool(query.deactivated),
        }),
    });
  return [
    list("v2"),
    list("v3"),
    route({
      method: "GET", paths: ["/_synapse/admin/v2/users/:userId"], spec: `${SPEC}#query-user-account`,
      handler: ({ params }) => users.get(params.userId!),
    }),
    route({
      method: "PUT", paths: ["/_synapse/admin/v2/users/:userId"], body: userChange, spec: `${SPEC}#create-or-modify-account`,
      handler: async ({ params, body }, admin) => {
        const { created, user } = await users.upsert(admin, params.userId!, body);
        return created ? reply(201, user) : user;
      },
    }),
    route({
      method: "PUT", paths: ["/_synapse/admin/v1/suspend/:userId"], body: T.Object({ suspend: T.Boolean() }), spec: `${SPEC}#suspendunsuspend-account`,
      handler: ({ params, body }) => users.suspend(params.userId!, body.suspend),
    }),
    route({
      // "An empty body may be passed for backwards compatibility."
      method: "POST", paths: ["/_synapse/admin/v1/deactivate/:userId"], spec: `${SPEC}#deactivate-account`,
      handler: async ({ params, request }) => {
        const { erase = false } = await optionalJsonBody(request);
        if (typeof erase !== "boolean") throw new MatrixError(400, "M_INVALID_PARAM", "erase must be a boolean");
        return users.deactivate(params.userId!, erase);
      },
    }),
    route({
      method: "POST", paths: ["/_synapse/admin/v1/reset_password/:userId"], spec: `${SPEC}#reset-password`,
      body: T.Object({ new_password: T.String(), logout_devices: T.Optional(T.Boolean()) }),
      handler: async ({ params, body }) => (await users.resetPassword(params.userId!, body.new_password, body.logout_devices ?? true), {}),
    }),
    route({
      method: "GET", paths: ["/_synapse/admin/v1/users/:userId/admin"], spec: `${SPEC}#get-whether-a-user-is-a-server-administrator-or-not`,
      handler: ({ params }) => users.isAdmin(params.userId!),
    }),
    route({
      method: "PUT", paths: ["/_synapse/admin/v1/users/:userId/admin"], body: T.Object({ admin: T.Boolean() }),
      spec: `${SPEC}#change-whether-a-user-is-a-server-administrator-or-not`,
      handler: async ({ params, body }, admin) => (await users.setAdmin(admin, params.userId!, body.admin), {}),
    }),
    route({
      method: "GET", paths: ["/_synapse/admin/v1/users/:userId/accountdata"], spec: `${SPEC}#account-data`,
      handler: ({ params }) => users.accountData(params.userId!),
    }),
    route({
      method: "GET", paths: ["/_synapse/admin/v1/users/:userId/media"], spec: `${SPEC}#list-media-uploaded-by-a-user`,
      query: T.Object({ ...pageParams, order_by: oneOf(MEDIA_ORDERS), dir: dirParam() }),
      handler: ({ params, query }) =>
        users.media(params.userId!, {
          from: query.from ?? 0, limit: query.limit ?? DEFAULT_LIMIT,
          // Neither given: newest first (Synapse's default); order_by alone sorts ascending.
          orderBy: (query.order_by ?? "created_ts") as MediaOrder,
          descending: query.dir === undefined ? query.order_by === undefined : query.dir === "b",
        }),
    }),
  ];
}

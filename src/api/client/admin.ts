// The spec's server administration endpoints: whois, and locking and suspending accounts.
// https://spec.matrix.org/v1.19/client-server-api/#server-administration
import { Type as T } from "@sinclair/typebox";
import type { AccountModeration, AccountRestriction } from "../../auth/account-moderation.ts";
import type { AdminDevices } from "../../auth/admin-devices.ts";
import { endpoint } from "../../http/endpoint.ts";
import { MatrixError } from "../../protocol/matrix-error.ts";
import { adminRoute, type IsAdmin } from "../synapse-admin/admin-auth.ts";
import { requesterUser } from "./requester-user.ts";

const SPEC = "https://spec.matrix.org/v1.19/client-server-api/";

export function clientAdminEndpoints(deps: { isAdmin: IsAdmin; devices: Pick<AdminDevices, "whois">; moderation: AccountModeration }) {
  const route = adminRoute(deps.isAdmin);
  const restriction = (name: AccountRestriction, path: "lock" | "suspend") => [
    route({
      method: "GET", paths: [`/_matrix/client/v1/admin/${path}/:userId`], spec: `${SPEC}#get_matrixclientv1admin${path}userid`,
      handler: ({ params }, admin) => deps.moderation.status(admin, params.userId!, name),
    }),
    route({
      method: "PUT", paths: [`/_matrix/client/v1/admin/${path}/:userId`], body: T.Object({ [name]: T.Boolean() }), spec: `${SPEC}#put_matrixclientv1admin${path}userid`,
      handler: ({ params, body }, admin) => deps.moderation.set(admin, params.userId!, name, (body as Record<string, boolean>)[name]!),
    }),
  ];
  return [
    endpoint({
      method: "GET",
      paths: ["/_matrix/client/v3/admin/whois/:userId", "/_matrix/client/r0/admin/whois/:userId"],
      auth: "accessToken",
      spec: `${SPEC}#get_matrixclientv3adminwhoisuserid`,
      // Users may look themselves up; anyone else needs a server admin (Synapse's rule).
      handler: async ({ requester, params }) => {
        const caller = requesterUser(requester).userId;
        if (params.userId !== caller && !(await deps.isAdmin(caller))) throw new MatrixError(403, "M_FORBIDDEN", "You are not a server admin");
        return deps.devices.whois(params.userId!);
      },
    }),
    ...restriction("locked", "lock"),
    ...restriction("suspended", "suspend"),
  ];
}

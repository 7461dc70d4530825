// The spec's account moderation endpoints: lock and suspend a local account, and read either
// status. The admin check comes first (the route), then the account lookup, so non-admins learn
// nothing about which accounts exist. Changes go through Synapse's admin API services.
// https://spec.matrix.org/v1.19/client-server-api/#server-administration
import { MatrixError, notFound } from "../protocol/matrix-error.ts";
import type { AdminUsers } from "./admin-users.ts";
import { isLocalUser, isUserId } from "./user-id-checks.ts";

export type AccountRestriction = "locked" | "suspended";

export function createAccountModeration(deps: { serverName: string; users: Pick<AdminUsers, "get" | "setLocked" | "suspend"> }) {
  /** The target's details: 400 for other servers' users, 404 for unknown or deactivated, 403 for other admins. */
  async function target(admin: string, userId: string) {
    if (!isUserId(userId) || !isLocalUser(userId, deps.serverName)) throw new MatrixError(400, "M_INVALID_PARAM", "User does not belong to the local server");
    const user = await deps.users.get(userId).catch((error: unknown) => {
      if (error instanceof MatrixError && error.status === 404) return undefined;
      throw error;
    });
    if (!user || user.deactivated) throw notFound("User not found");
    if (user.admin && userId !== admin) throw new MatrixError(403, "M_FORBIDDEN", "The target user is a server administrator");
    return user;
  }

  return {
    /** GET /admin/lock/{userId} and /admin/suspend/{userId} */
    async status(admin: string, userId: string, restriction: AccountRestriction): Promise<Record<string, boolean>> {
      const user = await target(admin, userId);
      return { [restriction]: user[restriction] };
    },

    /** PUT /admin/lock/{userId} and /admin/suspend/{userId}: locked users keep their sessions (soft logout). */
    async set(admin: string, userId: string, restriction: AccountRestriction, value: boolean): Promise<Record<string, boolean>> {
      await target(admin, userId);
      if (userId === admin) throw new MatrixError(403, "M_FORBIDDEN", `You may not ${restriction === "locked" ? "lock" : "suspend"} your own account`);
      if (restriction === "locked") await deps.users.setLocked(userId, value);
      else await deps.users.suspend(userId, value);
      return { [restriction]: value };
    },
  };
}

export type AccountModeration = ReturnType<typeof createAccountModeration>;

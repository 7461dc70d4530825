// Account management: password change, deactivation, third-party identifiers.
// https://spec.matrix.org/v1.19/client-server-api/#account-management
import { MatrixError } from "../protocol/matrix-error.ts";
import type { AccountsRepo } from "../storage/repos/accounts.ts";
import type { ErasedUsersRepo } from "../storage/repos/erased-users.ts";
import type { AccountData } from "./account-data.ts";
import { hashPassword } from "./passwords.ts";
import type { Profiles } from "./profiles.ts";
import type { Tokens } from "./tokens.ts";
import type { Uia } from "./uia.ts";

/** Limit (Synapse's): longer passwords only cost hashing time. */
export const MAX_PASSWORD_LENGTH = 512;

/**
 * Makes a deactivating user leave every room they are in (and reject pending invites). The rooms
 * module fills it; until rooms exist there is nothing to leave.
 */
export type LeaveAllRooms = (userId: string) => Promise<void>;

export interface AccountDeps {
  repo: Pick<AccountsRepo, "setPasswordHash" | "deactivateUser">;
  tokens: Pick<Tokens, "deleteAllDevices" | "forgetUser">;
  uia: Pick<Uia, "require">;
  profiles: Pick<Profiles, "erase">;
  accountData: Pick<AccountData, "erase">;
  erasedUsers: Pick<ErasedUsersRepo, "markErased">;
  leaveAllRooms?: LeaveAllRooms;
  /** Announces the devices deactivation deleted (./device-events.ts: keys, connections, pushers). */
  devicesDeleted?: (userId: string, deviceIds: readonly string[]) => Promise<void>;
  now?: () => number;
}

/** UIA flows of both operations: the account's password. */
const PASSWORD_FLOWS = [{ stages: ["m.login.password"] }];

export interface ChangePassword {
  newPassword: string;
  /** Revoke the user's other devices and their tokens; default true. */
  logoutDevices?: boolean;
  auth: unknown;
}

export function createAccount(deps: AccountDeps) {
  const now = deps.now ?? Date.now;
  return {
    /**
     * POST /account/password: the caller's device keeps its token; the others are deleted unless
     * logout_devices is false.
     * https://spec.matrix.org/v1.19/client-server-api/#post_matrixclientv3accountpassword
     */
    async changePassword(userId: string, deviceId: string | null, request: ChangePassword): Promise<void> {
      if (request.newPassword.length === 0) throw new MatrixError(400, "M_WEAK_PASSWORD", "The new password is empty");
      if (request.newPassword.length > MAX_PASSWORD_LENGTH) throw new MatrixError(400, "M_INVALID_PARAM", "The new password is too long");
      await deps.uia.require({ auth: request.auth, operation: "change_password", userId, flows: PASSWORD_FLOWS });
      await deps.repo.setPasswordHash(userId, await hashPassword(request.newPassword));
      if (request.logoutDevices !== false) await deps.tokens.deleteAllDevices(userId, deviceId ?? undefined);
    },

    /**
     * POST /account/deactivate, step by step:
     * https://spec.matrix.org/v1.19/client-server-api/#post_matrixclientv3accountdeactivate
     */
    async deactivate(userId: string, request: { auth: unknown; erase?: boolean }): Promise<{ id_server_unbind_result: "success" }> {
      await deps.uia.require({ auth: request.auth, operation: "deactivate", userId, flows: PASSWORD_FLOWS });
      // 1. Leave every room while the account can still send its leave events.
      await deps.leaveAllRooms?.(userId);
      // 2. No more logins: deactivated, password forgotten, devices and tokens deleted.
      const deviceIds = await deps.repo.deactivateUser(userId);
      deps.tokens.forgetUser(userId);
      await deps.devicesDeleted?.(userId, deviceIds);
      // 3. The profile goes in every case (as in Synapse).
      await deps.profiles.erase(userId);
      // 4. erase: non-event data goes too, and the flag tells rooms to serve redacted copies of
      //    the user's events to whoever joins later.
      if (request.erase === true) {
        await deps.accountData.erase(userId);
        await deps.erasedUsers.markErased(userId, now());
      }
      // 5. No third-party identifiers are stored, so there is nothing to unbind.
      return { id_server_unbind_result: "success" };
    },

    /** GET /account/3pid: Myelin stores no third-party identifiers (no identity server support). */
    threepids(): { threepids: [] } {
      return { threepids: [] };
    },
  };
}

export type Account = ReturnType<typeof createAccount>;

// The UIA stages Myelin offers: m.login.password, m.login.dummy, m.login.registration_token.
// https://spec.matrix.org/v1.19/client-server-api/#authentication-types
import type { AccountsRepo } from "../storage/repos/accounts.ts";
import type { RegistrationTokensRepo } from "../storage/repos/registration-tokens.ts";
import { MatrixError } from "../protocol/matrix-error.ts";
import { verifyPassword } from "./passwords.ts";
import { UiaStageFailed, type UiaSession, type UiaStage } from "./uia.ts";
import { localUserId } from "./user-ids.ts";

/** The user an auth dict names: identifier {type: m.id.user, user} or the legacy `user` key. */
export function identifiedUser(auth: Record<string, unknown>, serverName: string): string | null {
  const identifier = auth.identifier as Record<string, unknown> | undefined;
  let user: unknown = auth.user;
  if (identifier !== undefined) {
    if (typeof identifier !== "object" || identifier === null) throw new MatrixError(400, "M_BAD_JSON", "identifier must be an object");
    if (identifier.type !== "m.id.user") throw new MatrixError(400, "M_UNKNOWN", `Unsupported identifier type ${String(identifier.type)}`);
    user = identifier.user;
  }
  if (typeof user !== "string") throw new MatrixError(400, "M_MISSING_PARAM", "Missing identifier.user");
  return localUserId(user, serverName);
}

/** The registration token a session reserved, if any. */
export const reservedRegistrationToken = (session: UiaSession) =>
  typeof session.data.registrationToken === "string" ? session.data.registrationToken : null;

export function createUiaStages(options: {
  serverName: string;
  accounts: Pick<AccountsRepo, "getUser">;
  registrationTokens: Pick<RegistrationTokensRepo, "reserve">;
  now?: () => number;
}): Record<string, UiaStage> {
  const now = options.now ?? Date.now;
  return {
    "m.login.dummy": async () => {},

    // https://spec.matrix.org/v1.19/client-server-api/#password-based
    "m.login.password": async (auth, { userId }) => {
      const named = identifiedUser(auth, options.serverName);
      if (typeof auth.password !== "string") throw new MatrixError(400, "M_MISSING_PARAM", "Missing password");
      if (userId === null) throw new UiaStageFailed("M_FORBIDDEN", "Password authentication is not offered here");
      const user = await options.accounts.getUser(userId);
      const ok = named === userId && !!user?.passwordHash && (await verifyPassword(auth.password, user.passwordHash));
      if (!ok) throw new UiaStageFailed("M_FORBIDDEN", "Invalid username or password");
    },

    // https://spec.matrix.org/v1.19/client-server-api/#token-authenticated-registration
    "m.login.registration_token": async (auth, { session }) => {
      if (typeof auth.token !== "string") throw new MatrixError(400, "M_MISSING_PARAM", "Missing token");
      if (!(await options.registrationTokens.reserve(auth.token, now()))) throw new UiaStageFailed("M_UNAUTHORIZED", "Invalid registration token");
      session.data.registrationToken = auth.token;
    },
  };
}

// The 'accessToken' auth resolver: reads the token, asks auth/tokens.ts who owns it.
// https://spec.matrix.org/v1.19/client-server-api/#using-access-tokens
import { tokenFromRequest, type Tokens } from "../auth/tokens.ts";
import type { Requester } from "../http/endpoint.ts";
import { MatrixError } from "../protocol/matrix-error.ts";

/** The endpoints a locked account may still call (spec: account locking). */
const LOCKED_ALLOWED = /^\/_matrix\/client\/(?:r0|v3)\/logout(?:\/all)?$/;

export function accessTokenResolver(tokens: Pick<Tokens, "resolve">) {
  return async (request: Request, ip: string): Promise<Requester> => {
    const token = tokenFromRequest(request);
    if (!token) throw new MatrixError(401, "M_MISSING_TOKEN", "Missing access token");
    const owner = await tokens.resolve(token, { ip, userAgent: request.headers.get("user-agent") });
    // https://spec.matrix.org/v1.19/client-server-api/#account-locking
    if (owner.locked && !LOCKED_ALLOWED.test(new URL(request.url).pathname)) {
      throw new MatrixError(401, "M_USER_LOCKED", "This account has been locked", { soft_logout: true });
    }
    return { kind: "user", userId: owner.userId, deviceId: owner.deviceId, isGuest: owner.isGuest };
  };
}

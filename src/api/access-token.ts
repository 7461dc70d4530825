// The 'accessToken' auth resolver: reads the token, asks auth/tokens.ts who owns it, or, for an
// application service's as_token, who the AS acts as. The 'appservice' resolver takes only as_tokens.
// https://spec.matrix.org/v1.19/client-server-api/#using-access-tokens
// https://spec.matrix.org/v1.19/application-service-api/#identity-assertion
import type { AppServiceIdentities, AppServiceRegistry } from "../auth/appservices.ts";
import { tokenFromRequest, type Tokens } from "../auth/tokens.ts";
import type { Requester } from "../http/endpoint.ts";
import { MatrixError } from "../protocol/matrix-error.ts";

/** The endpoints a locked account may still call (spec: account locking). */
const LOCKED_ALLOWED = /^\/_matrix\/client\/(?:r0|v3)\/logout(?:\/all)?$/;

export function accessTokenResolver(tokens: Pick<Tokens, "resolve">, appServices?: { registry: AppServiceRegistry; identities: AppServiceIdentities }) {
  return async (request: Request, ip: string): Promise<Requester> => {
    const token = tokenFromRequest(request);
    if (!token) throw new MatrixError(401, "M_MISSING_TOKEN", "Missing access token");
    // as_tokens first: an in-memory lookup, and startup refuses one that is also a user's token.
    const registration = appServices?.registry.byAsToken(token);
    if (registration) {
      const who = await appServices!.identities.identify(registration, new URL(request.url).searchParams);
      return { kind: "user", userId: who.userId, deviceId: who.deviceId, isGuest: false, appserviceId: who.appserviceId, rateLimitExempt: who.rateLimitExempt };
    }
    const owner = await tokens.resolve(token, { ip, userAgent: request.headers.get("user-agent") });
    // https://spec.matrix.org/v1.19/client-server-api/#account-locking
    if (owner.locked && !LOCKED_ALLOWED.test(new URL(request.url).pathname)) {
      throw new MatrixError(401, "M_USER_LOCKED", "This account has been locked", { soft_logout: true });
    }
    return { kind: "user", userId: owner.userId, deviceId: owner.deviceId, isGuest: owner.isGuest };
  };
}

/** The 'appservice' resolver: only an as_token, the AS acting as its sender. */
export function appServiceResolver(registry: AppServiceRegistry) {
  return async (request: Request): Promise<Requester> => {
    const token = tokenFromRequest(request);
    if (!token) throw new MatrixError(401, "M_MISSING_TOKEN", "Missing access token");
    const registration = registry.byAsToken(token);
    if (!registration) throw new MatrixError(403, "M_FORBIDDEN", "Provided access token is not an application service's as_token");
    return { kind: "appservice", id: registration.id, userId: registry.senderOf(registration) };
  };
}

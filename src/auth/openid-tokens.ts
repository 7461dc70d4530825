// OpenID tokens: a user proves their identity to a third party (widgets, Element Call's
// focus) which checks it with GET /_matrix/federation/v1/openid/userinfo. The tokens are good for
// nothing else, so they live in memory only (Synapse keeps them in a table).
// https://spec.matrix.org/v1.19/client-server-api/#openid
import { randomBytes } from "node:crypto";
import { MatrixError } from "../protocol/matrix-error.ts";

/** Limit: how long a token is valid (Synapse's fixed hour); tokens are also lost on restart. */
export const OPENID_TOKEN_LIFETIME_MS = 3_600_000;
/** Limit: tokens kept at once; beyond it the oldest are dropped (they expire within the hour anyway). */
export const MAX_OPENID_TOKENS = 100_000;

export interface OpenIdToken {
  access_token: string;
  token_type: "Bearer";
  matrix_server_name: string;
  /** Seconds. */
  expires_in: number;
}

export function createOpenIdTokens(options: { serverName: string; now?: () => number }) {
  const now = options.now ?? Date.now;
  // Insertion order is expiry order (one lifetime for all), so the first entries are the oldest.
  const owners = new Map<string, { userId: string; expiresAt: number }>();
  function dropExpired(): void {
    for (const [token, entry] of owners) {
      if (entry.expiresAt > now() && owners.size < MAX_OPENID_TOKENS) return;
      owners.delete(token);
    }
  }
  return {
    /** POST /user/{userId}/openid/request_token: only for the caller's own account. */
    issue(caller: string, userId: string): OpenIdToken {
      if (caller !== userId) throw new MatrixError(403, "M_FORBIDDEN", "Cannot request tokens for other users");
      dropExpired();
      const token = randomBytes(24).toString("base64url");
      owners.set(token, { userId, expiresAt: now() + OPENID_TOKEN_LIFETIME_MS });
      return { access_token: token, token_type: "Bearer", matrix_server_name: options.serverName, expires_in: OPENID_TOKEN_LIFETIME_MS / 1000 };
    },

    /** GET /_matrix/federation/v1/openid/userinfo */
    userInfo(token: string | undefined): { sub: string } {
      if (token === undefined || token === "") throw new MatrixError(401, "M_MISSING_TOKEN", "Missing access_token");
      const entry = owners.get(token);
      if (!entry || entry.expiresAt <= now()) throw new MatrixError(401, "M_UNKNOWN_TOKEN", "Access token unknown or expired");
      return { sub: entry.userId };
    },
  };
}

export type OpenIdTokens = ReturnType<typeof createOpenIdTokens>;

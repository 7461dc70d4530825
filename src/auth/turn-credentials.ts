// TURN credentials for VoIP clients, as Synapse hands them out: with a shared secret, coturn's
// time-limited scheme (username "<expiry seconds>:<user id>", password base64 HMAC-SHA1 of the
// username keyed by the secret); otherwise a fixed username and password; neither: no TURN.
// https://spec.matrix.org/v1.19/client-server-api/#get_matrixclientv3voipturnserver
import { createHmac } from "node:crypto";
import { MatrixError } from "../protocol/matrix-error.ts";

export interface TurnOptions {
  uris: readonly string[];
  sharedSecret: string | null;
  username: string | null;
  password: string | null;
  /** Milliseconds the credentials last. */
  lifetimeMs: number;
  allowGuests: boolean;
}

export interface TurnCredentials {
  username: string;
  password: string;
  uris: string[];
  /** Seconds. */
  ttl: number;
}

export function createTurnCredentials(options: TurnOptions, now: () => number = Date.now) {
  const ttl = Math.floor(options.lifetimeMs / 1000);
  return {
    /** `{}` when no TURN server is configured, as Synapse answers. */
    forUser(user: { userId: string; isGuest: boolean }): TurnCredentials | Record<string, never> {
      if (user.isGuest && !options.allowGuests) throw new MatrixError(403, "M_FORBIDDEN", "Guest access to TURN is not allowed");
      if (options.uris.length === 0) return {};
      const uris = [...options.uris];
      if (options.sharedSecret !== null) {
        const expiry = Math.floor((now() + options.lifetimeMs) / 1000);
        const username = `${expiry}:${user.userId}`;
        const password = createHmac("sha1", options.sharedSecret).update(username).digest("base64");
        return { username, password, uris, ttl };
      }
      if (options.username !== null && options.password !== null) return { username: options.username, password: options.password, uris, ttl };
      return {};
    },
  };
}

export type TurnCredentialSource = ReturnType<typeof createTurnCredentials>;

// Shared-secret registration, Synapse's admin API used by tooling and test harnesses:
// GET a one-time nonce, POST the account with HMAC-SHA1(secret, nonce\0user\0password\0admin|notadmin).
// shared/reference/synapse-admin-api/register_api.md
import { createHmac, randomBytes, timingSafeEqual } from "node:crypto";
import { MatrixError } from "../protocol/matrix-error.ts";
import type { DeviceSessions, SessionResponse } from "./device-sessions.ts";
import type { Registration } from "./registration.ts";

/** Synapse's nonce lifetime. */
const NONCE_LIFETIME_MS = 60_000;
/** Limit: nonces outstanding at once. */
const MAX_NONCES = 10_000;

export interface SharedSecretRequest {
  nonce: string;
  username: string;
  password: string;
  admin?: boolean;
  user_type?: string | null;
  mac: string;
}

export function sharedSecretMac(secret: string, request: Omit<SharedSecretRequest, "mac">): string {
  const hmac = createHmac("sha1", secret);
  hmac.update(`${request.nonce}\0${request.username}\0${request.password}\0${request.admin ? "admin" : "notadmin"}`);
  if (request.user_type) hmac.update(`\0${request.user_type}`);
  return hmac.digest("hex");
}

export function createSharedSecretRegistration(options: { secret: string | null; registration: Registration; sessions: DeviceSessions; now?: () => number }) {
  const now = options.now ?? Date.now;
  const nonces = new Map<string, number>();
  const enabled = () => {
    if (options.secret === null) throw new MatrixError(400, "M_UNKNOWN", "Shared secret registration is not enabled");
    return options.secret;
  };
  return {
    nonce(): { nonce: string } {
      enabled();
      for (const [nonce, created] of nonces) {
        if (nonces.size < MAX_NONCES && now() - created < NONCE_LIFETIME_MS) break;
        nonces.delete(nonce);
      }
      const nonce = randomBytes(32).toString("hex");
      nonces.set(nonce, now());
      return { nonce };
    },

    async register(request: SharedSecretRequest): Promise<SessionResponse> {
      const secret = enabled();
      const created = nonces.get(request.nonce);
      if (created === undefined || now() - created >= NONCE_LIFETIME_MS) throw new MatrixError(400, "M_UNKNOWN", "unrecognised nonce");
      nonces.delete(request.nonce); // one use, whatever the outcome
      const expected = Buffer.from(sharedSecretMac(secret, request));
      const given = Buffer.from(request.mac);
      if (expected.length !== given.length || !timingSafeEqual(expected, given)) throw new MatrixError(403, "M_FORBIDDEN", "HMAC incorrect");
      const userId = await options.registration.registerByAdmin({ username: request.username, password: request.password, admin: request.admin ?? false });
      return options.sessions.start({ userId });
    },
  };
}

export type SharedSecretRegistration = ReturnType<typeof createSharedSecretRegistration>;

// Starting a login session: a device (new, or an existing one taken over) with fresh tokens.
// https://spec.matrix.org/v1.19/client-server-api/#relationship-between-access-tokens-and-devices
import { randomInt } from "node:crypto";
import type { AccountsRepo } from "../storage/repos/accounts.ts";
import type { Tokens } from "./tokens.ts";

/** What /login and /register answer with (the keys are the spec's). */
export interface SessionResponse {
  user_id: string;
  device_id: string;
  access_token: string;
  refresh_token?: string;
  expires_in_ms?: number;
  /** Deprecated in the spec, still read by some clients. */
  home_server: string;
}

const DEVICE_ID_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZ";
/** Ten upper-case letters, as Synapse makes them. */
export const newDeviceId = () => Array.from({ length: 10 }, () => DEVICE_ID_ALPHABET[randomInt(26)]).join("");

export interface StartSession {
  userId: string;
  /** The client's device_id; a known device is reused and its earlier tokens revoked. */
  deviceId?: string;
  displayName?: string | null;
  /** The client sent refresh_token: true. */
  refreshToken?: boolean;
}

export function createDeviceSessions(options: { repo: AccountsRepo; tokens: Tokens; serverName: string; now?: () => number }) {
  const { repo, tokens } = options;
  const now = options.now ?? Date.now;
  return {
    async start(request: StartSession): Promise<SessionResponse> {
      const deviceId = request.deviceId ?? newDeviceId();
      if (request.deviceId !== undefined && (await repo.getDevice(request.userId, deviceId))) {
        // "The server will invalidate any access token previously associated with the device."
        await repo.deleteTokensOfDevice(request.userId, deviceId);
        tokens.forgetDevices(request.userId, [deviceId]);
      } else {
        await repo.upsertDevice(request.userId, deviceId, request.displayName ?? null, now());
      }
      const issued = await tokens.issue(request.userId, deviceId, request.refreshToken === true);
      return {
        user_id: request.userId,
        device_id: deviceId,
        access_token: issued.accessToken,
        ...(issued.refreshToken ? { refresh_token: issued.refreshToken } : {}),
        ...(issued.expiresInMs !== undefined ? { expires_in_ms: issued.expiresInMs } : {}),
        home_server: options.serverName,
      };
    },
  };
}

export type DeviceSessions = ReturnType<typeof createDeviceSessions>;

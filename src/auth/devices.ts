// Device management: list, inspect, rename and delete a user's devices. Deleting a device
// deletes its access and refresh tokens and drops them from the token cache at once.
// https://spec.matrix.org/v1.19/client-server-api/#device-management
import { MatrixError, notFound } from "../protocol/matrix-error.ts";
import type { AccountsRepo, DeviceRow } from "../storage/repos/accounts.ts";
import type { Tokens } from "./tokens.ts";
import type { Uia } from "./uia.ts";

/** The spec's Device (definitions/client_device.yaml). */
export interface ClientDevice {
  device_id: string;
  display_name?: string;
  last_seen_ip?: string;
  last_seen_ts?: number;
}

/** Limit: device display names (Synapse's MAX_DEVICE_DISPLAY_NAME_LEN is 100). */
export const MAX_DEVICE_DISPLAY_NAME_LENGTH = 100;

/**
 * Called after devices were deleted, however (./device-events.ts): E2EE drops their keys and
 * announces device list changes, sliding sync drops their connections.
 */
export type DevicesDeleted = (userId: string, deviceIds: readonly string[]) => Promise<void>;

export interface DevicesDeps {
  repo: Pick<AccountsRepo, "listDevices" | "getDevice" | "setDeviceDisplayName">;
  tokens: Pick<Tokens, "deleteDevices">;
  uia: Pick<Uia, "require">;
}

const toClient = (row: DeviceRow): ClientDevice => ({
  device_id: row.deviceId,
  ...(row.displayName !== null ? { display_name: row.displayName } : {}),
  ...(row.lastSeenIp !== null ? { last_seen_ip: row.lastSeenIp } : {}),
  ...(row.lastSeenTs !== null ? { last_seen_ts: row.lastSeenTs } : {}),
});

/** UIA flows for deleting devices: the account's password. */
const DELETE_FLOWS = [{ stages: ["m.login.password"] }];

export function createDevices(deps: DevicesDeps) {
  const { repo } = deps;
  return {
    /** GET /devices */
    async list(userId: string): Promise<ClientDevice[]> {
      return (await repo.listDevices(userId)).map(toClient);
    },

    /** GET /devices/{deviceId} */
    async get(userId: string, deviceId: string): Promise<ClientDevice> {
      const row = await repo.getDevice(userId, deviceId);
      if (!row) throw notFound("Unknown device");
      return toClient(row);
    },

    /**
     * PUT /devices/{deviceId}: renames an existing device (display_name absent: unchanged).
     * Creating devices this way is for application services only, which do not exist yet: 404.
     */
    async update(userId: string, deviceId: string, displayName: string | undefined): Promise<void> {
      if (displayName !== undefined && displayName.length > MAX_DEVICE_DISPLAY_NAME_LENGTH) {
        throw new MatrixError(400, "M_INVALID_PARAM", `display_name is longer than ${MAX_DEVICE_DISPLAY_NAME_LENGTH} characters`);
      }
      const found = displayName === undefined ? await repo.getDevice(userId, deviceId) : await repo.setDeviceDisplayName(userId, deviceId, displayName);
      if (!found) throw notFound("Unknown device");
    },

    /**
     * DELETE /devices/{deviceId} and POST /delete_devices, after user-interactive auth.
     * Unknown ids are ignored ("or had been removed previously").
     */
    async delete(userId: string, deviceIds: readonly string[], auth: unknown): Promise<void> {
      await deps.uia.require({ auth, operation: "delete_devices", userId, flows: DELETE_FLOWS });
      // Tokens announce the deletion (./device-events.ts).
      await deps.tokens.deleteDevices(userId, deviceIds);
    },
  };
}

export type Devices = ReturnType<typeof createDevices>;

// Synapse's user admin API, devices and sessions: list, show, create, rename and delete a local
// user's devices (deletion through tokens.deleteDevices, which announces it: keys, device lists,
// pushers, sliding sync connections), whois and joined rooms.
// shared/reference/synapse-admin-api/user_admin_api.md#user-devices
import { MatrixError, notFound } from "../protocol/matrix-error.ts";
import type { AccountsRepo, DeviceRow } from "../storage/repos/accounts.ts";
import { checkLocalUser } from "./admin-users.ts";
import type { Devices } from "./devices.ts";
import type { Tokens } from "./tokens.ts";
import { isUserId } from "./user-id-checks.ts";

/** Limit: device ids given to create one (Synapse's device ids are 10 characters; clients pick their own). */
const MAX_DEVICE_ID_LENGTH = 255;

export interface AdminDevicesDeps {
  serverName: string;
  accounts: Pick<AccountsRepo, "getUser" | "listDevices" | "getDevice" | "upsertDevice">;
  tokens: Pick<Tokens, "deleteDevices">;
  devices: Pick<Devices, "update">;
  /** Rooms the user is joined to (current state). */
  joinedRooms(userId: string): Promise<string[]>;
  now?: () => number;
}

const adminDevice = (row: DeviceRow) => ({
  device_id: row.deviceId,
  ...(row.displayName !== null ? { display_name: row.displayName } : {}),
  last_seen_ip: row.lastSeenIp,
  last_seen_user_agent: row.lastSeenUserAgent,
  last_seen_ts: row.lastSeenTs,
  user_id: row.userId,
});

export function createAdminDevices(deps: AdminDevicesDeps) {
  const now = deps.now ?? Date.now;
  async function existing(userId: string): Promise<string> {
    checkLocalUser(userId, deps.serverName);
    if (!(await deps.accounts.getUser(userId))) throw notFound("Unknown user");
    return userId;
  }

  return {
    /** GET /_synapse/admin/v2/users/{userId}/devices */
    async list(userId: string) {
      const rows = await deps.accounts.listDevices(await existing(userId));
      return { devices: rows.map((row) => ({ ...adminDevice(row), dehydrated: false })), total: rows.length };
    },

    /** GET /_synapse/admin/v2/users/{userId}/devices/{deviceId} */
    async get(userId: string, deviceId: string) {
      const row = await deps.accounts.getDevice(await existing(userId), deviceId);
      if (!row) throw notFound("No device found");
      return adminDevice(row);
    },

    /** POST /_synapse/admin/v2/users/{userId}/devices: nothing happens when the device exists. */
    async create(userId: string, deviceId: string): Promise<void> {
      if (deviceId.length === 0 || deviceId.length > MAX_DEVICE_ID_LENGTH) throw new MatrixError(400, "M_INVALID_PARAM", "Invalid device_id");
      await deps.accounts.upsertDevice(await existing(userId), deviceId, null, now());
    },

    /** PUT /_synapse/admin/v2/users/{userId}/devices/{deviceId} */
    async rename(userId: string, deviceId: string, displayName: string | undefined): Promise<void> {
      await deps.devices.update(await existing(userId), deviceId, displayName);
    },

    /** DELETE .../devices/{deviceId} and POST .../delete_devices: unknown ids are ignored, as Synapse does. */
    async delete(userId: string, deviceIds: readonly string[]): Promise<void> {
      await deps.tokens.deleteDevices(await existing(userId), deviceIds);
    },

    /**
     * GET /_synapse/admin/v1/whois/{userId}: Synapse lists every connection under the device key "";
     * Myelin keeps the last connection of each device.
     */
    async whois(userId: string) {
      const rows = await deps.accounts.listDevices(await existing(userId));
      const connections = rows
        .filter((row) => row.lastSeenTs !== null)
        .map((row) => ({ ip: row.lastSeenIp, last_seen: row.lastSeenTs, user_agent: row.lastSeenUserAgent }));
      return { user_id: userId, devices: { "": { sessions: [{ connections }] } } };
    },

    /** GET /_synapse/admin/v1/users/{userId}/joined_rooms: remote users too (the rooms this server shares with them). */
    async joinedRooms(userId: string) {
      if (!isUserId(userId)) throw new MatrixError(400, "M_INVALID_PARAM", "Invalid user id");
      const rooms = await deps.joinedRooms(userId);
      return { joined_rooms: rooms, total: rooms.length };
    },
  };
}

export type AdminDevices = ReturnType<typeof createAdminDevices>;

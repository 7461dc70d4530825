// Dehydrated devices (MSC3814, latest: org.matrix.msc3814.v1): a device kept in the user's
// account to receive to-device messages (room keys) while no client runs; a new client fetches
// its inbox page by page and decrypts it, then replaces it.
// https://github.com/matrix-org/matrix-spec-proposals/pull/3814
import { MAX_DEVICE_DISPLAY_NAME_LENGTH } from "../auth/devices.ts";
import type { DeviceKeys } from "../auth/device-keys.ts";
import { MatrixError, forbidden, notFound } from "../protocol/matrix-error.ts";
import type { JsonObject } from "../protocol/signed-json.ts";
import type { DehydratedDevicesRepo } from "../storage/repos/dehydrated-devices.ts";
import type { ToDeviceRepo } from "../storage/repos/to-device.ts";
import { toEvent, type ToDeviceEvent } from "./to-device.ts";

/** Limit: messages per page of GET/POST /dehydrated_device/{device_id}/events (as a /sync response). */
export const DEHYDRATED_EVENTS_PER_PAGE = 100;
/** Limit: length of a dehydrated device id (an unpadded base64 Curve25519 key is 43). */
export const MAX_DEHYDRATED_DEVICE_ID_LENGTH = 255;

export interface DehydratedDeviceUpload {
  device_id: string;
  device_data: Record<string, unknown>;
  initial_device_display_name?: string;
  device_keys: unknown;
  one_time_keys?: unknown;
  fallback_keys?: unknown;
}

const invalid = (message: string) => new MatrixError(400, "M_INVALID_PARAM", message);

export function createDehydratedDevices(deps: {
  repo: DehydratedDevicesRepo;
  inbox: Pick<ToDeviceRepo, "pending">;
  /** Device keys (POST /keys/upload's service): the upload's keys go through it, deleted devices drop theirs. Absent: keys are checked for shape only and not stored. */
  deviceKeys?: Pick<DeviceKeys, "upload" | "devicesDeleted">;
  now?: () => number;
}) {
  const { repo } = deps;
  return {
    /** PUT /dehydrated_device: replaces the user's dehydrated device; answers its id. */
    async put(userId: string, body: DehydratedDeviceUpload): Promise<{ device_id: string }> {
      const deviceId = body.device_id;
      if (deviceId.length === 0 || deviceId.length > MAX_DEHYDRATED_DEVICE_ID_LENGTH) throw invalid(`device_id must have 1 to ${MAX_DEHYDRATED_DEVICE_ID_LENGTH} characters`);
      if (typeof body.device_data.algorithm !== "string") throw invalid("device_data.algorithm must be a string");
      const name = body.initial_device_display_name ?? null;
      if (name !== null && name.length > MAX_DEVICE_DISPLAY_NAME_LENGTH) throw invalid(`initial_device_display_name is longer than ${MAX_DEVICE_DISPLAY_NAME_LENGTH} characters`);
      const keys = body.device_keys as JsonObject | null;
      if (typeof keys !== "object" || keys === null || Array.isArray(keys)) throw invalid("device_keys must be an object");
      if (keys.user_id !== userId || keys.device_id !== deviceId) throw invalid("device_keys must be for the user and the dehydrated device");

      const replaced = await repo.replace(userId, deviceId, body.device_data, name, (deps.now ?? Date.now)());
      if (replaced === "taken") throw invalid("device_id is one of the user's devices");
      if (replaced.previous !== null) await deps.deviceKeys?.devicesDeleted(userId, [replaced.previous]);
      if (deps.deviceKeys) {
        try {
          await deps.deviceKeys.upload(userId, deviceId, { device_keys: keys, one_time_keys: body.one_time_keys, fallback_keys: body.fallback_keys });
        } catch (error) {
          // Keys refused: no dehydrated device without keys (the MSC's reason for one request).
          await repo.delete(userId);
          await deps.deviceKeys.devicesDeleted(userId, [deviceId]);
          throw error;
        }
      }
      return { device_id: deviceId };
    },

    /** GET /dehydrated_device */
    async get(userId: string): Promise<{ device_id: string; device_data: Record<string, unknown> }> {
      const row = await repo.get(userId);
      if (!row) throw notFound("No dehydrated device");
      return { device_id: row.deviceId, device_data: row.deviceData };
    },

    /** DELETE /dehydrated_device (no user-interactive auth, by the MSC). */
    async delete(userId: string): Promise<{ device_id: string }> {
      const deviceId = await repo.delete(userId);
      if (deviceId === null) throw notFound("No dehydrated device");
      await deps.deviceKeys?.devicesDeleted(userId, [deviceId]);
      return { device_id: deviceId };
    },

    /**
     * The dehydrated device's to-device messages after `from` (a previous next_batch), one page.
     * Unlike /sync nothing is deleted: an aborted rehydration can start over. next_batch is
     * present only when more may follow.
     */
    async events(userId: string, deviceId: string, from: string | undefined): Promise<{ events: ToDeviceEvent[]; next_batch?: string }> {
      const row = await repo.get(userId);
      if (!row || row.deviceId !== deviceId) throw forbidden("Not the user's dehydrated device");
      if (from !== undefined && !/^\d{1,16}$/.test(from)) throw invalid("Invalid next_batch");
      const after = from === undefined ? 0 : Number(from);
      const messages = await deps.inbox.pending(userId, deviceId, after, Number.MAX_SAFE_INTEGER, DEHYDRATED_EVENTS_PER_PAGE);
      const more = messages.length === DEHYDRATED_EVENTS_PER_PAGE;
      return { events: messages.map(toEvent), ...(more ? { next_batch: String(messages.at(-1)!.streamPosition) } : {}) };
    },
  };
}

export type DehydratedDevices = ReturnType<typeof createDehydratedDevices>;

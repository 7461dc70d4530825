// Dehydrated devices (schema/to-device.ts dehydrated_devices): each is also a row of `devices`,
// so it has an inbox, shows in the device list and goes away with the usual device deletion.
// https://github.com/matrix-org/matrix-spec-proposals/pull/3814
import type { Db } from "../db.ts";

export interface DehydratedDeviceRow {
  deviceId: string;
  deviceData: Record<string, unknown>;
}

export function createDehydratedDevicesRepo(db: Db) {
  const sql = db.$client;
  return {
    async get(userId: string): Promise<DehydratedDeviceRow | null> {
      const [row] = await sql<{ device_id: string; device_data: Record<string, unknown> }[]>`
        select device_id, device_data from dehydrated_devices where user_id = ${userId}`;
      return row ? { deviceId: row.device_id, deviceData: row.device_data } : null;
    },

    /**
     * Replaces the user's dehydrated device in one transaction: deletes the previous one's
     * device row (its inbox and record go with it), creates the new device and records it.
     * Returns the previous device id (null if none), or "taken" when `deviceId` is one of the
     * user's other (not dehydrated) devices.
     */
    async replace(userId: string, deviceId: string, deviceData: Record<string, unknown>, displayName: string | null, now: number): Promise<{ previous: string | null } | "taken"> {
      return sql.begin(async (tx) => {
        const [old] = await tx<{ device_id: string }[]>`select device_id from dehydrated_devices where user_id = ${userId} for update`;
        if (old) await tx`delete from devices where user_id = ${userId} and device_id = ${old.device_id}`;
        const created = await tx`insert into devices (user_id, device_id, display_name, created_ts)
          values (${userId}, ${deviceId}, ${displayName}, ${now}) on conflict do nothing returning 1`;
        if (created.length === 0) return "taken" as const;
        await tx`insert into dehydrated_devices (user_id, device_id, device_data) values (${userId}, ${deviceId}, ${JSON.stringify(deviceData)}::jsonb)`;
        return { previous: old?.device_id ?? null };
      }) as Promise<{ previous: string | null } | "taken">;
    },

    /** Deletes the user's dehydrated device (device row, inbox, record); its id, or null if none. */
    async delete(userId: string): Promise<string | null> {
      const rows = await sql<{ device_id: string }[]>`delete from devices
        where user_id = ${userId} and device_id = (select device_id from dehydrated_devices where user_id = ${userId})
        returning device_id`;
      return rows[0]?.device_id ?? null;
    },
  };
}

export type DehydratedDevicesRepo = ReturnType<typeof createDehydratedDevicesRepo>;

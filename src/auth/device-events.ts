// Devices deleted, whatever deleted them (logout, logout/all, DELETE /devices, a password
// change that logs out the other devices, deactivation), announced to whoever keeps data per
// device: device keys and device lists, sliding sync connections, to-device inboxes.
import type { DevicesDeleted } from "./devices.ts";

export interface DeviceEvents {
  subscribe(listener: DevicesDeleted): void;
  /** Runs every listener; one that fails does not stop the others (the devices are gone either way). */
  deleted(userId: string, deviceIds: readonly string[]): Promise<void>;
}

export function createDeviceEvents(onError: (error: unknown) => void = () => {}): DeviceEvents {
  const listeners: DevicesDeleted[] = [];
  return {
    subscribe: (listener) => void listeners.push(listener),
    async deleted(userId, deviceIds) {
      if (deviceIds.length === 0) return;
      for (const listener of listeners) await listener(userId, deviceIds).catch(onError);
    },
  };
}

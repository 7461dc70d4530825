// Builds the E2EE key services: uploads (./device-keys.ts), queries and claims (./keys-query.ts).
// The device list stream they announce to lives in sync (src/sync/device-lists.ts): main.ts
// passes its hook as `deviceListChanged`.
import type { Ed25519 } from "../protocol/ed25519.ts";
import type { Db } from "../storage/db.ts";
import { createDeviceKeysRepo } from "../storage/repos/device-keys.ts";
import { createDeviceKeys, type DeviceKeys, type DeviceListChanged } from "./device-keys.ts";
import { createKeysQuery, type CrossSigningKeys, type KeysQuery, type RemoteDeviceKeys } from "./keys-query.ts";

export interface KeyServices {
  deviceKeys: DeviceKeys;
  keysQuery: KeysQuery;
}

export function createKeyServices(options: {
  db: Db;
  ed25519: Ed25519;
  serverName: string;
  deviceListChanged?: DeviceListChanged;
  /** The cross-signing module's keys for /keys/query; without it the cross-signing maps are empty. */
  crossSigningKeys?: CrossSigningKeys;
  /** Keys of other servers' users (federation); without it they are left out. */
  remoteDeviceKeys?: RemoteDeviceKeys;
}): KeyServices {
  const repo = createDeviceKeysRepo(options.db);
  return {
    deviceKeys: createDeviceKeys({ repo, ed25519: options.ed25519, deviceListChanged: options.deviceListChanged }),
    keysQuery: createKeysQuery({ repo, serverName: options.serverName, crossSigningKeys: options.crossSigningKeys, remote: options.remoteDeviceKeys }),
  };
}

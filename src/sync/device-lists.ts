// The device list stream as sync and GET /keys/changes read it: which users sharing a room with
// the requester changed their devices or keys between two positions, who newly shares a room
// (joins: their keys are news to the requester) and who no longer shares any (`left`); and the
// requesting device's own key counts.
// https://spec.matrix.org/v1.19/client-server-api/#tracking-the-device-list-for-a-user
// https://spec.matrix.org/v1.19/client-server-api/#get_matrixclientv3keyschanges
import type { Db } from "../storage/db.ts";
import { createDeviceKeysRepo, type DeviceKeysRepo } from "../storage/repos/device-keys.ts";
import type { Notifier } from "./notifier.ts";

export interface DeviceListChanges {
  changed: string[];
  left: string[];
}

/** Positions a change is read between: the events stream (memberships) and the device list stream. */
export interface DeviceListRange {
  events: number;
  deviceLists: number;
}

export interface DeviceLists {
  /** The highest device list position whose write has committed. */
  position(): number;
  /** The device-keys hook (DeviceListChanged): moves the position and wakes users sharing a room with `userId`. */
  changed(userId: string, position: number): Promise<void>;
  /** Changes for `userId` (joined to `joined` now) in (since, upTo]. */
  changes(userId: string, joined: readonly string[], since: DeviceListRange, upTo: DeviceListRange): Promise<DeviceListChanges>;
  /** GET /keys/changes: as `changes`, with the user's current joined rooms. */
  changesNow(userId: string, since: DeviceListRange, upTo: DeviceListRange): Promise<DeviceListChanges>;
  /** device_one_time_keys_count and device_unused_fallback_key_types of a device. */
  keyCounts(userId: string, deviceId: string): Promise<{ oneTimeKeyCounts: Record<string, number>; unusedFallbackKeyTypes: string[] }>;
}

export async function createDeviceLists(deps: { db: Db; notifier: Pick<Notifier, "deviceListChanged"> }): Promise<DeviceLists> {
  const repo: DeviceKeysRepo = createDeviceKeysRepo(deps.db);
  let position = await repo.maxPosition();

  // From the changes' side: the users whose devices changed (or who joined or left a room of the
  // requester) in the range, then which of them share a room with the requester now; not every
  // member of the requester's rooms, which would grow with the account.
  async function changes(userId: string, joined: readonly string[], since: DeviceListRange, upTo: DeviceListRange): Promise<DeviceListChanges> {
    if (since.events >= upTo.events && since.deviceLists >= upTo.deviceLists) return { changed: [], left: [] };
    const [changedAnywhere, memberships, membersOfRoomsLeft] = await Promise.all([
      repo.usersChangedBetween(since.deviceLists, upTo.deviceLists),
      repo.membershipChanges(joined, since.events, upTo.events),
      repo.membersOfRoomsLeft(userId, since.events, upTo.events),
    ]);
    const newMembers = new Set<string>();
    const departed = new Set<string>(membersOfRoomsLeft);
    for (const m of memberships) {
      if (m.membership === "join") newMembers.add(m.userId);
      else if (m.membership === "leave" || m.membership === "ban") departed.add(m.userId);
    }
    const candidates = new Set([...changedAnywhere, ...newMembers, ...departed]);
    candidates.delete(userId);
    const shared = new Set(await repo.joinedToAny([...candidates], joined));
    shared.add(userId);
    const changed = new Set<string>();
    for (const other of changedAnywhere) if (shared.has(other)) changed.add(other);
    for (const other of newMembers) if (shared.has(other)) changed.add(other);
    // The requester's own joins: every member of those rooms newly shares a room with them.
    const roomsJoined = memberships.filter((m) => m.userId === userId && m.membership === "join").map((m) => m.roomId);
    for (const other of await repo.joinedUsers(roomsJoined)) changed.add(other);
    const left = [...departed].filter((u) => !shared.has(u));
    return { changed: [...changed].sort(), left: left.sort() };
  }

  return {
    position: () => position,
    async changed(userId, at) {
      position = Math.max(position, at);
      await deps.notifier.deviceListChanged(userId);
    },
    changes,
    async changesNow(userId, since, upTo) {
      return changes(userId, await repo.joinedRooms(userId), since, upTo);
    },
    async keyCounts(userId, deviceId) {
      const [oneTimeKeyCounts, unusedFallbackKeyTypes] = await Promise.all([repo.oneTimeKeyCounts(userId, deviceId), repo.unusedFallbackKeyTypes(userId, deviceId)]);
      return { oneTimeKeyCounts, unusedFallbackKeyTypes };
    },
  };
}

// Builds the sync services. The notifier comes first (createSyncNotifier): the services that
// announce changes (account data, typing, receipts) take its hooks at construction, and
// createSyncServices then reads from them. src/main.ts and test/helpers/rooms.ts wire both.
import type { Filters } from "../auth/filters.ts";
import { createHistoryAccess } from "../rooms/history-access.ts";
import type { RoomServices } from "../rooms/index.ts";
import { createLazyMembers } from "../rooms/lazy-members.ts";
import type { Receipts } from "../rooms/receipts.ts";
import type { Typing } from "../rooms/typing.ts";
import type { Db } from "../storage/db.ts";
import { createAccountDataRepo } from "../storage/repos/account-data.ts";
import { createSyncRepo } from "../storage/repos/sync.ts";
import { createNotifier, type Notifier } from "./notifier.ts";
import type { PresenceSource } from "./presence-source.ts";
import { createRoomExtras } from "./room-extras.ts";
import { createRoomTimelines } from "./room-timelines.ts";
import type { PushRulesSource, UnreadCountsSource } from "./sources.ts";
import { createSync, type Sync } from "./sync.ts";
import { createUserMemberships } from "./user-memberships.ts";
import { createRoomRecency } from "./room-recency.ts";
import { createSlidingSyncRepo } from "../storage/repos/sliding-sync.ts";
import { createTypingClock } from "./token.ts";
import type { DeviceLists } from "./device-lists.ts";
import { createToDevice, type ToDevice } from "./to-device.ts";
import { createToDeviceRepo } from "../storage/repos/to-device.ts";
import { createDehydratedDevicesRepo } from "../storage/repos/dehydrated-devices.ts";
import { createDehydratedDevices, type DehydratedDevices } from "./dehydrated-devices.ts";
import { buildSlidingSync } from "./sliding/build.ts";
import type { SlidingSync } from "./sliding/index.ts";
import type { DeviceKeys } from "../auth/device-keys.ts";

type Rooms = Pick<RoomServices, "bus" | "stream" | "repo" | "cache" | "stateStore" | "heads" | "formatter">;

/** The notifier, built before the services whose hooks it fills. */
export function createSyncNotifier(rooms: Pick<Rooms, "bus" | "stream" | "repo">): Notifier {
  return createNotifier({ bus: rooms.bus, stream: rooms.stream, joinedRooms: (userId) => rooms.repo.roomsOfUser(userId, ["join"]) });
}

export interface SyncServices {
  sync: Sync;
  notifier: Notifier;
  /** Send-to-device messaging (PUT /sendToDevice and the device inboxes /sync reads). */
  toDevice: ToDevice;
  /** MSC3814 dehydrated devices (their inbox is a to-device inbox). */
  dehydratedDevices: DehydratedDevices;
  /** POST /v4/sync, simplified sliding sync (MSC4186). */
  slidingSync: SlidingSync;
}

export async function createSyncServices(deps: {
  db: Db;
  notifier: Notifier;
  rooms: Rooms;
  ephemeral: { typing: Pick<Typing, "position" | "changesSince">; receipts: Pick<Receipts, "changes" | "position"> };
  filters: Pick<Filters, "get">;
  /** Optional sources (presence module, push module); without them sync sends no presence, zero counts, no m.push_rules. */
  presence?: PresenceSource;
  unreadCounts?: UnreadCountsSource;
  pushRules?: PushRulesSource;
  /** Device lists (./device-lists.ts, built before the device keys whose hook it is). */
  deviceLists?: DeviceLists;
  /** Device keys, for the keys a dehydrated device is uploaded with; without it they are not stored. */
  deviceKeys?: Pick<DeviceKeys, "upload" | "devicesDeleted">;
  now?: () => number;
}): Promise<SyncServices> {
  const { rooms, notifier } = deps;
  const repo = createSyncRepo(deps.db);
  const memberships = createUserMemberships({ bus: rooms.bus, repo });
  const recency = createRoomRecency({ bus: rooms.bus, repo: createSlidingSyncRepo(deps.db) });
  const accountData = createAccountDataRepo(deps.db);
  const [accountDataPosition, receiptsPosition] = await Promise.all([accountData.maxPosition(), deps.ephemeral.receipts.position()]);
  const toDeviceRepo = createToDeviceRepo(deps.db);
  const toDevice = createToDevice({ repo: toDeviceRepo, wakeUser: notifier.wakeUser, now: deps.now }, await toDeviceRepo.maxPosition());
  const access = createHistoryAccess({ heads: rooms.heads, cache: rooms.cache, stateStore: rooms.stateStore, repo: rooms.repo });
  const timelines = createRoomTimelines({ repo, cache: rooms.cache, stateStore: rooms.stateStore, heads: rooms.heads, access, lazyMembers: createLazyMembers(rooms.cache) });
  const extras = createRoomExtras({ repo, cache: rooms.cache, stateStore: rooms.stateStore, formatter: rooms.formatter, typing: deps.ephemeral.typing, receipts: deps.ephemeral.receipts });
  deps.presence?.onChange((userId) => void notifier.presenceChanged(userId).catch(() => {}));
  deps.unreadCounts?.onChange((userId) => notifier.wakeUser(userId));
  deps.pushRules?.onChange((userId) => notifier.wakeUser(userId));
  const sync = createSync({
    repo, memberships, recency, accountData, filters: deps.filters, stream: rooms.stream, timelines, formatter: rooms.formatter, extras, notifier,
    typing: deps.ephemeral.typing, typingClock: createTypingClock((deps.now ?? Date.now)()),
    startPositions: { accountData: accountDataPosition, receipts: receiptsPosition },
    presence: deps.presence, unreadCounts: deps.unreadCounts, pushRules: deps.pushRules, toDevice, deviceLists: deps.deviceLists,
  });
  const dehydratedDevices = createDehydratedDevices({ repo: createDehydratedDevicesRepo(deps.db), inbox: toDeviceRepo, deviceKeys: deps.deviceKeys, now: deps.now });
  const slidingSync = buildSlidingSync({
    db: deps.db, rooms, syncRepo: repo, memberships, recency, accountData, access, extras, notifier, ephemeral: deps.ephemeral,
    startPositions: { accountData: accountDataPosition, receipts: receiptsPosition },
    presence: deps.presence, unreadCounts: deps.unreadCounts, pushRules: deps.pushRules, toDevice, deviceLists: deps.deviceLists, now: deps.now,
  });
  return { sync, notifier, toDevice, dehydratedDevices, slidingSync };
}

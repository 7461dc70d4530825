// Wiring of sliding sync from what createSyncServices (src/sync/index.ts) already builds.
import type { HistoryAccess } from "../../rooms/history-access.ts";
import type { RoomServices } from "../../rooms/index.ts";
import type { Receipts } from "../../rooms/receipts.ts";
import type { Typing } from "../../rooms/typing.ts";
import type { Db } from "../../storage/db.ts";
import type { AccountDataRepo } from "../../storage/repos/account-data.ts";
import { createSlidingSyncRepo } from "../../storage/repos/sliding-sync.ts";
import type { SyncRepo } from "../../storage/repos/sync.ts";
import type { DeviceLists } from "../device-lists.ts";
import type { Notifier } from "../notifier.ts";
import type { PresenceSource } from "../presence-source.ts";
import type { RoomExtras } from "../room-extras.ts";
import type { PushRulesSource, UnreadCountsSource } from "../sources.ts";
import type { ToDevice } from "../to-device.ts";
import { createConnections } from "./connections.ts";
import { createSlidingSync, type SlidingSync } from "./index.ts";
import type { RoomRecency } from "../room-recency.ts";
import { createRoomFacts } from "./room-facts.ts";
import type { UserMemberships } from "../user-memberships.ts";
import { createRoomData } from "./room-data.ts";
import { createRoomLists } from "./room-list.ts";

export function buildSlidingSync(deps: {
  db: Db;
  rooms: Pick<RoomServices, "bus" | "stream" | "cache" | "stateStore" | "heads" | "formatter">;
  syncRepo: SyncRepo;
  memberships: UserMemberships;
  recency: RoomRecency;
  accountData: Pick<AccountDataRepo, "changes" | "get">;
  access: Pick<HistoryAccess, "visible">;
  extras: Pick<RoomExtras, "strippedState">;
  notifier: Notifier;
  ephemeral: { typing: Pick<Typing, "position" | "changesSince">; receipts: Pick<Receipts, "changes"> };
  startPositions: { accountData: number; receipts: number };
  presence?: PresenceSource;
  unreadCounts?: UnreadCountsSource;
  pushRules?: PushRulesSource;
  toDevice?: ToDevice;
  deviceLists?: DeviceLists;
  now?: () => number;
}): SlidingSync {
  const { rooms } = deps;
  const repo = createSlidingSyncRepo(deps.db);
  const { recency } = deps;
  return createSlidingSync({
    connections: createConnections(deps.now),
    lists: createRoomLists({
      syncRepo: deps.syncRepo, memberships: deps.memberships, repo, accountData: deps.accountData, recency,
      facts: createRoomFacts({ bus: rooms.bus, repo }),
    }),
    roomData: createRoomData({
      syncRepo: deps.syncRepo, cache: rooms.cache, stateStore: rooms.stateStore, heads: rooms.heads, access: deps.access,
      formatter: rooms.formatter, extras: deps.extras, unreadCounts: deps.unreadCounts,
    }),
    notifier: deps.notifier,
    stream: rooms.stream,
    typingPosition: deps.ephemeral.typing,
    startPositions: deps.startPositions,
    presence: deps.presence,
    accountData: deps.accountData,
    receipts: deps.ephemeral.receipts,
    typing: deps.ephemeral.typing,
    pushRules: deps.pushRules,
    toDevice: deps.toDevice,
    deviceLists: deps.deviceLists,
    toDevicePosition: deps.toDevice?.position,
    deviceListsPosition: deps.deviceLists?.position,
  });
}

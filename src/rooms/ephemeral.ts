// One call that builds the room services with no events of their own: typing, receipts and read
// markers, tags, reports. main.ts fills the hooks with sync's notifier once sync exists.
import type { AccountData } from "../auth/account-data.ts";
import type { Db } from "../storage/db.ts";
import { createReceiptsRepo } from "../storage/repos/receipts.ts";
import { createReportsRepo } from "../storage/repos/reports.ts";
import type { RoomBus } from "./bus.ts";
import { createReadMarkers } from "./read-markers.ts";
import { createReceipts, type ReceiptEventInfo, type ReceiptsChanged } from "./receipts.ts";
import { createReports } from "./reports.ts";
import type { RoomReader } from "./room-reader.ts";
import { createTags } from "./tags.ts";
import { createTyping, type Timers, type TypingChanged } from "./typing.ts";

export interface RoomEphemeralDeps {
  db: Db;
  rooms: RoomReader;
  accountData: Pick<AccountData, "get" | "putAsServer">;
  serverName: string;
  /** Whether a local account exists (user reports of unknown users are accepted and dropped). */
  userExists: (userId: string) => Promise<boolean>;
  /** Membership changes end the typing of whoever left, was kicked or banned. */
  bus?: Pick<RoomBus, "subscribe">;
  /** Event order and relations for receipts; default: read from the events table by the receipts repo. */
  events?: ReceiptEventInfo;
  now?: () => number;
  timers?: Timers;
  hooks?: { typingChanged?: TypingChanged; receiptsChanged?: ReceiptsChanged };
}

export function createRoomEphemeralServices(deps: RoomEphemeralDeps) {
  const { db, rooms, accountData, now, hooks = {} } = deps;
  const receiptsRepo = createReceiptsRepo(db);
  const receipts = createReceipts({
    repo: receiptsRepo,
    rooms,
    events: deps.events ?? { streamOrdering: receiptsRepo.eventStreamOrdering, relation: receiptsRepo.eventRelation },
    accountData,
    now,
    changed: hooks.receiptsChanged,
  });
  const typing = createTyping({ rooms, now, timers: deps.timers, changed: hooks.typingChanged });
  deps.bus?.subscribe(({ event }) => {
    if (event.type === "m.room.member" && event.stateKey !== null && event.membership !== "join") typing.stop(event.roomId, event.stateKey);
  });
  return {
    typing,
    receipts,
    readMarkers: createReadMarkers({ receipts }),
    tags: createTags({ accountData, rooms }),
    reports: createReports({ repo: createReportsRepo(db), rooms, serverName: deps.serverName, userExists: deps.userExists, now }),
  };
}

export type RoomEphemeralServices = ReturnType<typeof createRoomEphemeralServices>;

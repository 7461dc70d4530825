// The positions of the streams /sync and sliding sync share, as far as every write below them
// has finished: events from the stream tracker, account data and receipts from the notifier
// (never below where they stood at startup), the rest from their sources.
import type { StreamTracker } from "../rooms/stream-tracker.ts";
import type { Notifier } from "./notifier.ts";

export interface SharedPositions {
  events: number;
  accountData: number;
  receipts: number;
  pushRules: number;
  toDevice: number;
  deviceLists: number;
}

export function sharedPositions(sources: {
  notifier: Pick<Notifier, "reported">;
  stream: Pick<StreamTracker, "persistedUpTo">;
  startPositions: { accountData: number; receipts: number };
  pushRules?: { position(): number };
  toDevice?: () => number;
  deviceLists?: () => number;
}): SharedPositions {
  const reported = sources.notifier.reported();
  return {
    events: sources.stream.persistedUpTo(),
    accountData: Math.max(sources.startPositions.accountData, reported.accountData),
    receipts: Math.max(sources.startPositions.receipts, reported.receipts),
    pushRules: sources.pushRules?.position() ?? 0,
    toDevice: sources.toDevice?.() ?? 0,
    deviceLists: sources.deviceLists?.() ?? 0,
  };
}

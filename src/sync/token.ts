// The /sync stream token: one position per stream, "s<events>_<account data>_<receipts>_<typing>_
// <presence>_<push rules>_<to-device>_<device lists>". It starts with the events position in the
// "s<N>" form of pagination tokens, so a next_batch or prev_batch also works as /messages?from=
// (src/rooms/pagination-token.ts reads only that leading part).
// https://spec.matrix.org/v1.19/client-server-api/#get_matrixclientv3sync
import { MatrixError } from "../protocol/matrix-error.ts";

export interface SyncPositions {
  events: number;
  accountData: number;
  receipts: number;
  /** Typing lives in memory: the position carries the process's epoch (see typingToken). */
  typing: number;
  presence: number;
  pushRules: number;
  /** To-device and device lists: 0 until E2EE (issue 7) fills them. */
  toDevice: number;
  deviceLists: number;
}

const STREAMS = ["events", "accountData", "receipts", "typing", "presence", "pushRules", "toDevice", "deviceLists"] as const;
const TOKEN = /^s(-?\d{1,16})((?:_\d{1,16}){7})$/;

export const ZERO_POSITIONS: SyncPositions = { events: 0, accountData: 0, receipts: 0, typing: 0, presence: 0, pushRules: 0, toDevice: 0, deviceLists: 0 };

export function encodeSyncToken(p: SyncPositions): string {
  return `s${STREAMS.map((stream) => p[stream]).join("_")}`;
}

/** The positions of a `since` token; 400 M_INVALID_PARAM when it is not one of ours. */
export function parseSyncToken(token: string): SyncPositions {
  const match = TOKEN.exec(token);
  if (!match) throw new MatrixError(400, "M_INVALID_PARAM", "Invalid since token");
  const values = [match[1]!, ...match[2]!.slice(1).split("_")].map(Number);
  if (!values.every(Number.isSafeInteger)) throw new MatrixError(400, "M_INVALID_PARAM", "Invalid since token");
  return Object.fromEntries(STREAMS.map((stream, i) => [stream, values[i]!])) as unknown as SyncPositions;
}

/**
 * A client's position clamped to the server's: a position ahead of the stream (a token from
 * before a restart of an in-memory stream, or from another database) means the client's view
 * cannot be trusted, so that stream restarts from 0 and is sent in full rather than never again.
 */
export function sinceFor(since: number, current: number): number {
  return since > current ? 0 : since;
}

/**
 * Typing positions restart at 0 with the process. The token carries `epoch + position`, with
 * the epoch the process's start in microseconds-ish units, so a token of a previous run is
 * always below the new epoch (and one from the future above the current position): both mean
 * "send every room's typing list again".
 */
export function createTypingClock(startMs: number) {
  const epoch = startMs * 1000;
  return {
    token: (position: number) => epoch + position,
    /** The in-process position after which to send changes, or 0 for a token of another run. */
    since: (token: number, current: number) => (token < epoch || token > epoch + current ? 0 : token - epoch),
  };
}

// Pagination tokens for /messages, /context and /members?at: an opaque "s<N>" over the event
// stream (events.stream_ordering). "s<N>" names the gap just after position N: paging back from
// it reads events at positions <= N, paging forward reads positions > N.
// https://spec.matrix.org/v1.19/client-server-api/#get_matrixclientv3roomsroomidmessages
//
// Sync tokens may carry more streams after the room position ("s<N>_<other streams>"): only the
// leading room position is read here, so a sync prev_batch/next_batch works as a `from` or `at`.
import { MatrixError } from "../protocol/matrix-error.ts";

const TOKEN = /^s(-?\d{1,16})(?:_[\w.~-]*)?$/;

export const positionToken = (position: number): string => `s${position}`;

/** The stream position a token names, or null when it is not one of ours. */
export function tokenPosition(token: string): number | null {
  const match = TOKEN.exec(token);
  if (!match) return null;
  const position = Number(match[1]);
  return Number.isSafeInteger(position) ? position : null;
}

/** Like tokenPosition, but refuses a malformed token with 400 M_INVALID_PARAM. */
export function parsePositionToken(token: string, name: string): number {
  const position = tokenPosition(token);
  if (position === null) throw new MatrixError(400, "M_INVALID_PARAM", `Invalid ${name} token`);
  return position;
}

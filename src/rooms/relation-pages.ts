// Pagination shared by the relations and thread list APIs: pages filled with the events the user
// may see (history visibility filters rows after the query). Tokens are /messages' "s<N>"
// (./pagination-token.ts), so a /messages or /sync token works as `from` or `to`.
import { MatrixError } from "../protocol/matrix-error.ts";
import { positionToken } from "./pagination-token.ts";
import type { StoredEvent } from "./stored-event.ts";

/** Limit: rounds of reading past invisible rows before a page is returned short (with a next token). */
const MAX_SCAN_ROUNDS = 10;

/** A page size from the client's limit: at least 1 (else 400), at most `max`. */
export function pageLimit(limit: number | undefined, fallback: number, max: number): number {
  if (limit === undefined) return fallback;
  if (!Number.isSafeInteger(limit) || limit < 1) throw new MatrixError(400, "M_INVALID_PARAM", "limit must be a positive integer");
  return Math.min(limit, max);
}

/** Stream bounds of a query: after < position <= upTo. */
export interface Bounds {
  after?: number;
  upTo?: number;
}

/** The bounds of a page read from `from` towards `to` in direction `dir`. */
export function boundsOf(dir: "b" | "f", from: number | undefined, to: number | undefined): Bounds {
  return dir === "b" ? { upTo: from, after: to } : { after: from, upTo: to };
}

/** The token after a row at `position` when reading in `dir`: the next page starts past it. */
export const tokenPast = (dir: "b" | "f", position: number): string => positionToken(dir === "b" ? position - 1 : position);

/**
 * Reads rows in `dir` order until `limit` of them resolve to visible events, or rows run out.
 * `next` is the token to continue from (absent at the end).
 */
export async function visiblePage<Row>(options: {
  dir: "b" | "f";
  bounds: Bounds;
  limit: number;
  fetch: (bounds: Bounds, limit: number) => Promise<Row[]>;
  positionOf: (row: Row) => number;
  /** Per row, in row order: its event if the user may see it. */
  visible: (rows: Row[]) => Promise<(StoredEvent | undefined)[]>;
}): Promise<{ events: StoredEvent[]; next?: string }> {
  const { dir, limit, positionOf } = options;
  const events: StoredEvent[] = [];
  let bounds = options.bounds;
  let lastScanned: number | undefined;
  for (let round = 0; round < MAX_SCAN_ROUNDS; round++) {
    // One row more than needed tells whether another page exists.
    const rows = await options.fetch(bounds, limit + 1);
    const shown = await options.visible(rows);
    for (const [i, row] of rows.entries()) {
      const event = shown[i];
      if (event && events.length === limit) return { events, next: tokenPast(dir, lastScanned!) };
      lastScanned = positionOf(row);
      if (event) events.push(event);
    }
    if (rows.length <= limit) return { events };
    bounds = dir === "b" ? { ...bounds, upTo: lastScanned! - 1 } : { ...bounds, after: lastScanned };
  }
  return { events, next: lastScanned === undefined ? undefined : tokenPast(dir, lastScanned) };
}

// The sync token: round trip, malformed tokens, /messages compatibility, resets of streams from the future.
import { expect, test } from "bun:test";
import { MatrixError } from "../../src/protocol/matrix-error.ts";
import { tokenPosition } from "../../src/rooms/pagination-token.ts";
import { createTypingClock, encodeSyncToken, parseSyncToken, sinceFor } from "../../src/sync/token.ts";

const positions = { events: 42, accountData: 7, receipts: 3, typing: 1_700_000_000_000_005, presence: 9, pushRules: 2, toDevice: 0, deviceLists: 0 };

test("round trip; the leading part is a /messages token", () => {
  const token = encodeSyncToken(positions);
  expect(token).toBe("s42_7_3_1700000000000005_9_2_0_0");
  expect(parseSyncToken(token)).toEqual(positions);
  expect(tokenPosition(token)).toBe(42);
});

test("malformed tokens are 400 M_INVALID_PARAM", () => {
  for (const bad of ["", "s42", "42_1_1_1_1_1_1_1", "s1_2_3_4_5_6_7", "s1_2_3_4_5_6_7_8_9", "sx_1_1_1_1_1_1_1", "s1_1_1_1_1_1_1_99999999999999999"]) {
    let error: unknown;
    try {
      parseSyncToken(bad);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(MatrixError);
    expect([(error as MatrixError).status, (error as MatrixError).errcode]).toEqual([400, "M_INVALID_PARAM"]);
  }
});

test("a position from the future restarts its stream", () => {
  expect(sinceFor(5, 10)).toBe(5);
  expect(sinceFor(11, 10)).toBe(0);
});

test("typing tokens carry the process epoch: a previous run's or a future token means everything again", () => {
  const before = createTypingClock(1_000);
  const now = createTypingClock(2_000);
  expect(now.since(now.token(3), 5)).toBe(3);
  expect(now.since(before.token(4), 5)).toBe(0);
  expect(now.since(now.token(6), 5)).toBe(0);
});

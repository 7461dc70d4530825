// Typing: timeouts (capped), renewals, stops, the stream positions and the changed hook, all on a
// fake clock so nothing sleeps.
import { beforeEach, describe, expect, test } from "bun:test";
import { createTyping, DEFAULT_TYPING_TIMEOUT_MS, MAX_TYPING_TIMEOUT_MS, type Typing } from "../../src/rooms/typing.ts";
import { MatrixError } from "../../src/protocol/matrix-error.ts";
import { fakeRoomReader, fakeTime } from "./ephemeral-fakes.ts";

const ROOM = "!room:test.local";
const OTHER = "!other:test.local";
const alice = "@alice:test.local";
const bob = "@bob:test.local";
const carol = "@carol:test.local";

let rooms: ReturnType<typeof fakeRoomReader>;
let time: ReturnType<typeof fakeTime>;
let typing: Typing;
let hooked: [string, number][];

beforeEach(() => {
  rooms = fakeRoomReader();
  rooms.addRoom(ROOM, { [alice]: "join", [bob]: "join", [carol]: "leave" });
  rooms.addRoom(OTHER, { [alice]: "join" });
  time = fakeTime();
  hooked = [];
  typing = createTyping({ rooms: rooms.reader, now: time.now, timers: time.timers, changed: (roomId, position) => void hooked.push([roomId, position]) });
});

const refusal = (promise: Promise<unknown>) =>
  promise.then(
    () => null,
    (error: MatrixError) => [error.status, error.errcode],
  );

describe("timeouts", () => {
  test("a typer disappears when the client's timeout runs out, and the expiry is announced", async () => {
    await typing.set(alice, alice, ROOM, true, 5_000);
    expect(typing.typingUsers(ROOM)).toEqual([alice]);
    time.advance(4_999);
    expect(typing.typingUsers(ROOM)).toEqual([alice]);
    time.advance(1);
    expect(hooked).toEqual([[ROOM, 1], [ROOM, 2]]); // the timer fired, no read needed
    expect(typing.typingUsers(ROOM)).toEqual([]);
    expect(time.pendingCount()).toBe(0);
  });

  test("no timeout: the default; a huge one: the cap", async () => {
    await typing.set(alice, alice, ROOM, true);
    await typing.set(bob, bob, ROOM, true, 10 * MAX_TYPING_TIMEOUT_MS);
    time.advance(DEFAULT_TYPING_TIMEOUT_MS);
    expect(typing.typingUsers(ROOM)).toEqual([bob]);
    time.advance(MAX_TYPING_TIMEOUT_MS - DEFAULT_TYPING_TIMEOUT_MS);
    expect(typing.typingUsers(ROOM)).toEqual([]);
  });

  test("a renewal extends the timeout without a new position", async () => {
    await typing.set(alice, alice, ROOM, true, 10_000);
    time.advance(8_000);
    await typing.set(alice, alice, ROOM, true, 10_000);
    expect(typing.position()).toBe(1);
    time.advance(8_000);
    expect(typing.typingUsers(ROOM)).toEqual([alice]);
    time.advance(2_000);
    expect(typing.typingUsers(ROOM)).toEqual([]);
    expect(typing.position()).toBe(2);
    expect(time.pendingCount()).toBe(0); // the renewed timer replaced the first
  });

  test("an expiry a read sees before its timer fires is announced once", async () => {
    let now = 0;
    const positions: number[] = [];
    const never = { set: () => 0, clear: () => {} }; // timers that never fire: reads alone must expire
    const t = createTyping({ rooms: rooms.reader, now: () => now, timers: never, changed: (_roomId, position) => void positions.push(position) });
    await t.set(alice, alice, ROOM, true, 1_000);
    now = 1_000;
    expect(t.typingUsers(ROOM)).toEqual([]);
    expect(t.changesSince(1)).toEqual([{ roomId: ROOM, userIds: [], position: 2 }]);
    expect(positions).toEqual([1, 2]);
  });
});

describe("stopping", () => {
  test("typing false stops at once; stopping when not typing changes nothing", async () => {
    await typing.set(alice, alice, ROOM, true, 30_000);
    await typing.set(alice, alice, ROOM, false);
    expect(typing.typingUsers(ROOM)).toEqual([]);
    expect(typing.position()).toBe(2);
    await typing.set(alice, alice, ROOM, false);
    expect(typing.position()).toBe(2);
    expect(time.pendingCount()).toBe(0);
  });

  test("stop() (leaving the room) removes the typer", async () => {
    await typing.set(alice, alice, ROOM, true, 30_000);
    typing.stop(ROOM, alice);
    expect(typing.typingUsers(ROOM)).toEqual([]);
    expect(hooked.at(-1)).toEqual([ROOM, 2]);
  });
});

describe("stream", () => {
  test("changesSince gives each changed room's whole list, a stopped room included", async () => {
    await typing.set(alice, alice, ROOM, true, 30_000); // 1
    await typing.set(bob, bob, ROOM, true, 30_000); // 2
    await typing.set(alice, alice, OTHER, true, 30_000); // 3
    expect(typing.changesSince(0)).toEqual([
      { roomId: ROOM, userIds: [alice, bob], position: 2 },
      { roomId: OTHER, userIds: [alice], position: 3 },
    ]);
    expect(typing.changesSince(2)).toEqual([{ roomId: OTHER, userIds: [alice], position: 3 }]);
    await typing.set(alice, alice, OTHER, false); // 4
    expect(typing.changesSince(3)).toEqual([{ roomId: OTHER, userIds: [], position: 4 }]);
    expect(typing.changesSince(0, new Set([ROOM]))).toEqual([{ roomId: ROOM, userIds: [alice, bob], position: 2 }]);
    expect(typing.changesSince(4)).toEqual([]);
  });
});

describe("refusals", () => {
  test("someone else's typing: 403", async () => {
    expect(await refusal(typing.set(alice, bob, ROOM, true))).toEqual([403, "M_FORBIDDEN"]);
  });

  test("not joined (left, never there, unknown room): 403", async () => {
    expect(await refusal(typing.set(carol, carol, ROOM, true))).toEqual([403, "M_FORBIDDEN"]);
    expect(await refusal(typing.set(bob, bob, OTHER, true))).toEqual([403, "M_FORBIDDEN"]);
    expect(await refusal(typing.set(alice, alice, "!nowhere:test.local", true))).toEqual([403, "M_FORBIDDEN"]);
    expect(typing.position()).toBe(0);
  });

  test("a room id without '!': 400 M_INVALID_PARAM", async () => {
    expect(await refusal(typing.set(alice, alice, "#alias:test.local", true))).toEqual([400, "M_INVALID_PARAM"]);
  });
});

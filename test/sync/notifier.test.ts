// The notifier: who a change wakes, and room events held back until the stream is safe up to them.
import { expect, test } from "bun:test";
import { createRoomBus } from "../../src/rooms/bus.ts";
import type { StoredEvent } from "../../src/rooms/stored-event.ts";
import { createStreamTracker } from "../../src/rooms/stream-tracker.ts";
import { createNotifier } from "../../src/sync/notifier.ts";

function setup() {
  const bus = createRoomBus((error) => { throw error; });
  const stream = createStreamTracker(0);
  const notifier = createNotifier({ bus, stream, joinedRooms: async (userId) => (userId === "@carol:x" ? ["!a:x"] : []) });
  const emit = (position: number, roomId: string, extra: Partial<StoredEvent> = {}) =>
    bus.emit({ event: { streamOrdering: position, roomId, type: "m.room.message", stateKey: null, ...extra } as StoredEvent });
  return { bus, stream, notifier, emit };
}

const woken = (promise: Promise<boolean>) => Promise.race([promise, Bun.sleep(30).then(() => "still waiting")]);

test("a room event wakes waiters in that room once the stream is safe up to it", async () => {
  const { stream, notifier, emit } = setup();
  const inA = notifier.listen("@alice:x");
  inA.setRooms(["!a:x"]);
  const inB = notifier.listen("@bob:x");
  inB.setRooms(["!b:x"]);
  const first = stream.begin(1);
  const second = stream.begin(2);
  second();
  emit(2, "!a:x");
  const waitA = inA.wait(1_000);
  expect(await woken(waitA)).toBe("still waiting"); // position 1 is still in flight
  first();
  expect(await waitA).toBe(true);
  expect(await inB.wait(20)).toBe(false);
  inA.close();
  inB.close();
  expect(notifier.waiting()).toBe(0);
});

test("a member event wakes its target; account data the user; a change during compute is not lost", async () => {
  const { stream, notifier, emit } = setup();
  const dana = notifier.listen("@dana:x");
  dana.setRooms([]);
  stream.begin(1)();
  emit(1, "!c:x", { type: "m.room.member", stateKey: "@dana:x" });
  expect(await dana.wait(1_000)).toBe(true);
  dana.rearm();
  // Rooms unknown yet (computing): the room is remembered and checked against the rooms set.
  stream.begin(2)();
  emit(2, "!c:x");
  dana.setRooms(["!c:x"]);
  expect(await dana.wait(1_000)).toBe(true);
  dana.rearm();
  dana.setRooms(["!c:x"]);
  notifier.accountDataChanged("@dana:x", 5);
  expect(await dana.wait(1_000)).toBe(true);
  expect(notifier.reported().accountData).toBe(5);
  dana.close();
});

test("presence wakes those sharing a room with the user; an abort ends the wait", async () => {
  const { notifier } = setup();
  const alice = notifier.listen("@alice:x");
  alice.setRooms(["!a:x"]);
  const wait = alice.wait(1_000);
  await notifier.presenceChanged("@carol:x");
  expect(await wait).toBe(true);
  alice.rearm();
  alice.setRooms(["!a:x"]);
  const controller = new AbortController();
  const aborted = alice.wait(10_000, controller.signal);
  controller.abort();
  expect(await aborted).toBe(false);
  alice.close();
  expect(notifier.waiting()).toBe(0);
});

test("close ends every wait at once and later waits do not wait (shutdown)", async () => {
  const { notifier } = setup();
  const waiter = notifier.listen("@alice:x");
  waiter.setRooms([]);
  const waiting = waiter.wait(10_000);
  notifier.close();
  expect(await waiting).toBe(false);
  waiter.rearm();
  expect(await waiter.wait(10_000)).toBe(false);
  waiter.close();
});

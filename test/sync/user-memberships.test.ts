// Memberships kept in memory: read once per user, kept current from the bus, exact at a past
// position, not losing an event announced while the first read runs, bounded.
import { expect, test } from "bun:test";
import { createRoomBus } from "../../src/rooms/bus.ts";
import type { StoredEvent } from "../../src/rooms/stored-event.ts";
import type { MembershipRow } from "../../src/storage/repos/sync.ts";
import { createUserMemberships, type UserMembershipsRepo } from "../../src/sync/user-memberships.ts";
import { createRoomCache } from "../../src/sync/room-cache.ts";
import { firstInOrder } from "../../src/sync/sliding/room-list.ts";

const row = (roomId: string, membership: string, streamOrdering: number, userId = "@a:x"): MembershipRow & { userId: string } =>
  ({ roomId, membership, eventId: `$${roomId}-${streamOrdering}`, sender: "@a:x", streamOrdering, userId });

/** A repo over a list of member events (what room_memberships holds), counting its reads. */
function fakeRepo(events: (MembershipRow & { userId: string })[]) {
  const calls = { all: 0, at: [] as string[][] };
  let gate: Promise<void> = Promise.resolve();
  const newestUpTo = (userId: string, upTo: number) => {
    const newest = new Map<string, MembershipRow>();
    for (const e of events) {
      if (e.userId !== userId || e.streamOrdering > upTo) continue;
      if ((newest.get(e.roomId)?.streamOrdering ?? -Infinity) < e.streamOrdering) newest.set(e.roomId, e);
    }
    return [...newest.values()];
  };
  const repo: UserMembershipsRepo = {
    async allMemberships(userId) {
      calls.all++;
      const rows = newestUpTo(userId, Infinity);
      const everJoined = [...new Set(events.filter((e) => e.userId === userId && e.membership === "join").map((e) => e.roomId))];
      await gate;
      return { rows, everJoined };
    },
    async membershipsAt(userId, upTo, roomIds) {
      calls.at.push([...(roomIds ?? [])]);
      return newestUpTo(userId, upTo).filter((r) => !roomIds || roomIds.includes(r.roomId));
    },
  };
  return { repo, calls, hold: (until: Promise<void>) => void (gate = until) };
}

function setup(events: (MembershipRow & { userId: string })[], maxRows?: number) {
  const bus = createRoomBus((error) => { throw error; });
  const fake = fakeRepo(events);
  const memberships = createUserMemberships({ bus, repo: fake.repo, maxRows });
  const announce = (r: MembershipRow & { userId: string }, extra: Partial<StoredEvent> = {}) => {
    events.push(r);
    bus.emit({ event: { eventId: r.eventId, roomId: r.roomId, type: "m.room.member", stateKey: r.userId, membership: r.membership, sender: r.sender,
      streamOrdering: r.streamOrdering, outlier: false, rejectedReason: null, ...extra } as StoredEvent });
  };
  return { memberships, announce, ...fake };
}

const byRoom = (rows: Map<string, MembershipRow>) => Object.fromEntries([...rows.values()].map((r) => [r.roomId, `${r.membership}@${r.streamOrdering}`]));

test("the list is read once; later member events come from the bus", async () => {
  const { memberships, announce, calls } = setup([row("!a", "join", 1), row("!b", "invite", 2), row("!b", "leave", 1)]);
  expect(byRoom((await memberships.at("@a:x", 10)).byRoom)).toEqual({ "!a": "join@1", "!b": "invite@2" });
  announce(row("!b", "join", 11));
  announce(row("!c", "invite", 12));
  announce(row("!c", "join", 13, "@other:x")); // someone else's membership
  announce(row("!d", "join", 14), { rejectedReason: "auth" }); // rejected events change nothing
  const at = await memberships.at("@a:x", 14);
  expect(byRoom(at.byRoom)).toEqual({ "!a": "join@1", "!b": "join@11", "!c": "invite@12" });
  expect(at.everJoined("!b")).toBe(true);
  expect(at.everJoined("!c")).toBe(false);
  expect(calls.all).toBe(1);
  expect(calls.at).toEqual([]);
});

test("a position before a kept membership reads that room's membership as it was", async () => {
  const { memberships, announce, calls } = setup([row("!a", "invite", 1), row("!b", "join", 2)]);
  await memberships.at("@a:x", 2);
  announce(row("!a", "join", 5));
  announce(row("!c", "join", 6));
  // Position 4: the join at 5 and the room joined at 6 are not there yet.
  expect(byRoom((await memberships.at("@a:x", 4)).byRoom)).toEqual({ "!a": "invite@1", "!b": "join@2" });
  expect(calls.at).toEqual([["!a", "!c"]]);
  expect(byRoom((await memberships.at("@a:x", 6)).byRoom)).toEqual({ "!a": "join@5", "!b": "join@2", "!c": "join@6" });
});

test("an event announced while the list is read is kept, and an older row read after it does not replace it", async () => {
  const events = [row("!a", "invite", 1)];
  const { memberships, announce, hold, calls } = setup(events);
  let release!: () => void;
  hold(new Promise<void>((resolve) => (release = resolve)));
  const first = memberships.at("@a:x", 1);
  const second = memberships.at("@a:x", 1);
  await Bun.sleep(5);
  // The read took its rows (invite@1) before this join; it answers after it.
  announce(row("!a", "join", 2));
  announce(row("!b", "join", 3));
  release();
  expect(byRoom((await first).byRoom)).toEqual({ "!a": "invite@1" });
  await second;
  expect(byRoom((await memberships.at("@a:x", 3)).byRoom)).toEqual({ "!a": "join@2", "!b": "join@3" });
  expect(calls.all).toBe(1);
});

test("a failed read is not kept: the next call reads again", async () => {
  const bus = createRoomBus((error) => { throw error; });
  let fail = true;
  const memberships = createUserMemberships({
    bus,
    repo: {
      allMemberships: async () => {
        if (fail) throw new Error("database gone");
        return { rows: [row("!a", "join", 1)], everJoined: ["!a"] };
      },
      membershipsAt: async () => [],
    },
  });
  await expect(memberships.at("@a:x", 1)).rejects.toThrow("database gone");
  expect(memberships.size()).toBe(0);
  fail = false;
  expect(byRoom((await memberships.at("@a:x", 1)).byRoom)).toEqual({ "!a": "join@1" });
});

test("past the row limit the least recently read users are dropped and read again", async () => {
  const events = [row("!a", "join", 1, "@u1:x"), row("!b", "join", 2, "@u1:x"), row("!c", "join", 3, "@u2:x"), row("!d", "join", 4, "@u3:x")];
  const { memberships, calls } = setup(events, 3);
  await memberships.at("@u1:x", 10);
  await memberships.at("@u2:x", 10);
  expect(memberships.size()).toBe(3);
  await memberships.at("@u1:x", 10); // u1 is now the most recent
  await memberships.at("@u3:x", 10); // over the limit: u2 goes
  expect(memberships.size()).toBe(3);
  expect(calls.all).toBe(3);
  await memberships.at("@u1:x", 10);
  expect(calls.all).toBe(3);
  expect(byRoom((await memberships.at("@u2:x", 10)).byRoom)).toEqual({ "!c": "join@3" });
  expect(calls.all).toBe(4);
});

test("room cache: a value written by the bus while the room is read is merged, not lost", async () => {
  let release!: () => void;
  const gate = new Promise<void>((resolve) => (release = resolve));
  let loads = 0;
  const cache = createRoomCache<{ latest: number }>({
    empty: () => ({ latest: 0 }),
    load: async (ids) => {
      loads++;
      await gate;
      return new Map(ids.map((id) => [id, { latest: 5 }]));
    },
    combine: (seen, loaded) => ({ latest: Math.max(seen.latest, loaded.latest) }),
    max: 10,
  });
  expect(cache.target("!a")).toBeUndefined();
  const reading = cache.of(["!a", "!b"]);
  cache.target("!a")!.latest = 9; // an event announced during the read
  release();
  const valueOf = await reading;
  expect(valueOf("!a")).toEqual({ latest: 9 });
  expect(valueOf("!b")).toEqual({ latest: 5 });
  cache.target("!b")!.latest = 7;
  expect((await cache.of(["!b"]))("!b")).toEqual({ latest: 7 });
  expect(loads).toBe(1);
});

test("the first rooms of a list in order equal a full sort's, ties by room id", () => {
  const rooms = Array.from({ length: 500 }, (_, i) => ({
    row: { roomId: `!r${(i * 7919) % 500}`, membership: "join", eventId: `$${i}`, sender: "@a:x", streamOrdering: i },
    activity: (i * 104_729) % 97, // many ties
    bump: 0,
  }));
  const sorted = [...rooms].sort((a, b) => b.activity - a.activity || (a.row.roomId < b.row.roomId ? -1 : 1));
  for (const k of [0, 1, 20, 62, 63, 100, 500, 600]) {
    expect(firstInOrder(rooms, k).map((r) => r.row.roomId)).toEqual(sorted.slice(0, k).map((r) => r.row.roomId));
  }
});

// Fakes for the ephemeral room services: a RoomReader over in-memory maps, a settable clock and
// timers that fire when the test advances the clock.
import type { MembershipState as Membership, RoomReader } from "../../src/rooms/room-reader.ts";
import type { Timers } from "../../src/rooms/typing.ts";

export function fakeRoomReader() {
  const rooms = new Map<string, { members: Map<string, Membership>; events: Map<string, Set<string>> }>();
  const room = (roomId: string) => {
    const found = rooms.get(roomId);
    if (!found) throw new Error(`fake room ${roomId} not added`);
    return found;
  };
  const reader: RoomReader = {
    roomVersion: async (roomId) => (rooms.has(roomId) ? "11" : null),
    membership: async (roomId, userId) => rooms.get(roomId)?.members.get(userId) ?? null,
    canSeeEvent: async (userId, roomId, eventId) => {
      const hiddenFrom = rooms.get(roomId)?.events.get(eventId);
      return hiddenFrom !== undefined && !hiddenFrom.has(userId);
    },
    joinedMembers: async (roomId) => [...(rooms.get(roomId)?.members ?? [])].filter(([, m]) => m === "join").map(([u]) => u),
  };
  return {
    reader,
    addRoom(roomId: string, members: Record<string, Membership>) {
      rooms.set(roomId, { members: new Map(Object.entries(members)), events: new Map() });
    },
    setMembership(roomId: string, userId: string, membership: Membership) {
      room(roomId).members.set(userId, membership);
    },
    /** An event in the room, visible to everyone but `hiddenFrom` (history visibility). */
    addEvent(roomId: string, eventId: string, hiddenFrom: string[] = []) {
      room(roomId).events.set(eventId, new Set(hiddenFrom));
    },
  };
}

/** A clock and timers in step: advance(ms) moves the clock and runs the timers due by then. */
export function fakeTime(start = 1_000_000) {
  let now = start;
  let nextId = 0;
  const pending = new Map<number, { at: number; callback: () => void }>();
  const timers: Timers = {
    set: (callback, ms) => {
      pending.set(++nextId, { at: now + ms, callback });
      return nextId;
    },
    clear: (handle) => void pending.delete(handle as number),
  };
  return {
    now: () => now,
    timers,
    pendingCount: () => pending.size,
    advance(ms: number) {
      now += ms;
      for (const [id, timer] of [...pending].sort((a, b) => a[1].at - b[1].at)) {
        if (timer.at > now) continue;
        pending.delete(id);
        timer.callback();
      }
    },
  };
}

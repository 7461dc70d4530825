// Lazy-loading room members: the member events of the senders of the events served, leaving out
// those this device was already sent unless the filter asks for redundant members.
// https://spec.matrix.org/v1.19/client-server-api/#lazy-loading-room-members
import { stateKey, type StateMap } from "../engine/index.ts";
import type { Viewer } from "./client-events.ts";
import type { EventCache, StoredEvent } from "./stored-event.ts";

/** Limit: (device, room) pairs whose sent member events are remembered. */
const LAZY_MEMBER_ROOMS = 10_000;
/** Limit: member events remembered per (device, room); older ones are sent again (redundant, harmless). */
const LAZY_MEMBERS_PER_ROOM = 100;

export interface LazyMembers {
  /**
   * The member events in `state` of `senders`. Without `includeRedundant`, events this device
   * was already sent for the room (same event id: membership unchanged) are left out.
   */
  of(roomId: string, state: StateMap, senders: Iterable<string>, viewer: Viewer, includeRedundant: boolean): Promise<StoredEvent[]>;
}

export function createLazyMembers(cache: EventCache): LazyMembers {
  // (user, device, room) -> user id -> member event id last sent; both maps in recency order.
  const sent = new Map<string, Map<string, string>>();

  function sentTo(viewer: Viewer, roomId: string): Map<string, string> | undefined {
    // Tokens without a device (application services) get every member each time.
    if (viewer.deviceId === null) return undefined;
    const key = JSON.stringify([viewer.userId, viewer.deviceId, roomId]);
    let members = sent.get(key);
    if (members) sent.delete(key);
    else members = new Map();
    sent.set(key, members);
    if (sent.size > LAZY_MEMBER_ROOMS) sent.delete(sent.keys().next().value as string);
    return members;
  }

  return {
    async of(roomId, state, senders, viewer, includeRedundant) {
      const remembered = sentTo(viewer, roomId);
      const ids: string[] = [];
      for (const sender of new Set(senders)) {
        const id = state.get(stateKey("m.room.member", sender));
        if (!id) continue;
        if (!includeRedundant && remembered?.get(sender) === id) continue;
        ids.push(id);
      }
      const events = await cache.get(ids);
      if (remembered) {
        for (const e of events) {
          remembered.delete(e.stateKey!);
          remembered.set(e.stateKey!, e.eventId);
          if (remembered.size > LAZY_MEMBERS_PER_ROOM) remembered.delete(remembered.keys().next().value as string);
        }
      }
      return events;
    },
  };
}

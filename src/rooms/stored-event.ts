// Events as rooms/ holds them: the stored row with the PDU parsed, behind an LRU cache so the
// auth events and state events a send reads come from memory.
import type { JsonObject } from "../protocol/signed-json.ts";
import type { EventRow, EventsRepo } from "../storage/repos/events.ts";

export interface StoredEvent extends Omit<EventRow, "json"> {
  /** The PDU (federation format, without unsigned). Shared: never mutate. */
  pdu: JsonObject;
}

/** Limit: parsed events kept in memory. */
const CACHED_EVENTS = 20_000;

export interface EventCache {
  /** The events found, in no particular order; unknown ids are left out. */
  get(ids: readonly string[]): Promise<StoredEvent[]>;
  one(id: string): Promise<StoredEvent | undefined>;
  add(event: StoredEvent): void;
  /** Drops an event whose row changed (e.g. redacted_by set). */
  forget(id: string): void;
  /** Drops every event of a room (a purged room, src/rooms/room-purge.ts). */
  forgetRoom(roomId: string): void;
}

export const toStoredEvent = (row: EventRow): StoredEvent => {
  const { json, ...rest } = row;
  return { ...rest, pdu: JSON.parse(json) as JsonObject };
};

export function createEventCache(repo: Pick<EventsRepo, "events">): EventCache {
  const cache = new Map<string, StoredEvent>();
  const add = (event: StoredEvent) => {
    cache.delete(event.eventId);
    cache.set(event.eventId, event);
    if (cache.size > CACHED_EVENTS) cache.delete(cache.keys().next().value as string);
  };
  const self: EventCache = {
    async get(ids) {
      const found: StoredEvent[] = [];
      const missing: string[] = [];
      for (const id of ids) {
        const event = cache.get(id);
        if (event) found.push(event);
        else missing.push(id);
      }
      if (missing.length > 0) {
        for (const row of await repo.events([...new Set(missing)])) {
          const event = toStoredEvent(row);
          add(event);
          found.push(event);
        }
      }
      return found;
    },
    async one(id) {
      return (await self.get([id]))[0];
    },
    add,
    forget: (id) => void cache.delete(id),
    forgetRoom(roomId) {
      for (const [id, event] of cache) if (event.roomId === roomId) cache.delete(id);
    },
  };
  return self;
}

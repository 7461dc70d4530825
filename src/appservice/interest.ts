// Which application services an event is for, per the spec's "Pushing events" and Synapse's
// ApplicationService.is_interested_in_event: the room is in a room namespace, the sender or (for
// member events) the state_key is the AS's user or in its user namespaces, the room has a local
// alias in an alias namespace, or a joined local member is in its user namespaces (exclusive or not).
// https://spec.matrix.org/v1.19/application-service-api/#pushing-events
import type { AppServiceRegistration, AppServiceRegistry } from "../auth/appservice-registry.ts";
import type { StoredEvent } from "../rooms/stored-event.ts";

/** Limit: rooms whose joined namespace members and aliases are kept in memory (least recently used go). */
const CACHED_ROOMS = 10_000;
/** Limit: how long a room's aliases are trusted (alias changes do not pass the rooms bus). */
export const ALIAS_CACHE_MS = 30_000;

export interface InterestDeps {
  registry: Pick<AppServiceRegistry, "ownsUser" | "matchesRoom" | "matchesAlias">;
  /** The registrations events are pushed to (those with a url). */
  registrations: readonly AppServiceRegistration[];
  serverName: string;
  joinedMembers(roomId: string): Promise<string[]>;
  aliasesOf(roomId: string): Promise<string[]>;
  now: () => number;
}

export interface Interest {
  /** The registrations (all, or those given) the event is for. */
  of(event: StoredEvent, among?: readonly AppServiceRegistration[]): Promise<AppServiceRegistration[]>;
  /** Whether a registration is interested in a room itself: its id, an alias or a joined member in its namespaces (ephemeral data). */
  inRoom(registration: AppServiceRegistration, roomId: string): Promise<boolean>;
  /** Keeps the caches true to an event just persisted (call before `of` for it). */
  seen(event: StoredEvent): void;
  /** Drops what is known of a room (purged). */
  forgetRoom(roomId: string): void;
}

/** A Map used as an LRU of at most `limit` entries. */
function lru<V>(limit: number) {
  const map = new Map<string, V>();
  return {
    get(key: string): V | undefined {
      const value = map.get(key);
      if (value !== undefined) (map.delete(key), map.set(key, value));
      return value;
    },
    set(key: string, value: V): void {
      map.delete(key);
      map.set(key, value);
      if (map.size > limit) map.delete(map.keys().next().value as string);
    },
    delete: (key: string) => void map.delete(key),
  };
}

export function createInterest(deps: InterestDeps): Interest {
  const { registry } = deps;
  const local = `:${deps.serverName}`;
  /** Joined local members of a room that some registration owns (promises: one load per room). */
  const members = lru<Promise<string[]>>(CACHED_ROOMS);
  const aliases = lru<{ at: number; aliases: Promise<string[]> }>(CACHED_ROOMS);

  function namespaceMembers(roomId: string): Promise<string[]> {
    const { registrations } = deps;
    let found = members.get(roomId);
    if (!found) {
      found = deps.joinedMembers(roomId).then((ids) => ids.filter((id) => id.endsWith(local) && registrations.some((r) => registry.ownsUser(r, id))));
      found.catch(() => members.delete(roomId));
      members.set(roomId, found);
    }
    return found;
  }

  function roomAliases(roomId: string): Promise<string[]> {
    const cached = aliases.get(roomId);
    if (cached && deps.now() - cached.at < ALIAS_CACHE_MS) return cached.aliases;
    const loaded = deps.aliasesOf(roomId);
    loaded.catch(() => aliases.delete(roomId));
    aliases.set(roomId, { at: deps.now(), aliases: loaded });
    return loaded;
  }

  return {
    async of(event, among = deps.registrations) {
      const interested: AppServiceRegistration[] = [];
      for (const registration of among) {
        const memberTarget = event.type === "m.room.member" ? event.stateKey : null;
        if (
          registry.matchesRoom(registration, event.roomId) ||
          registry.ownsUser(registration, event.sender) ||
          (memberTarget !== null && registry.ownsUser(registration, memberTarget)) ||
          (registration.namespaces.aliases.length > 0 && (await roomAliases(event.roomId)).some((a) => registry.matchesAlias(registration, a))) ||
          (await namespaceMembers(event.roomId)).some((id) => registry.ownsUser(registration, id))
        ) {
          interested.push(registration);
        }
      }
      return interested;
    },
    async inRoom(registration, roomId) {
      return (
        registry.matchesRoom(registration, roomId) ||
        (registration.namespaces.aliases.length > 0 && (await roomAliases(roomId)).some((a) => registry.matchesAlias(registration, a))) ||
        (await namespaceMembers(roomId)).some((id) => registry.ownsUser(registration, id))
      );
    },
    seen(event) {
      // A member event may change who of the namespaces is joined; a new canonical alias hints at new aliases.
      if (event.type === "m.room.member") members.delete(event.roomId);
      if (event.type === "m.room.canonical_alias") aliases.delete(event.roomId);
    },
    forgetRoom(roomId) {
      members.delete(roomId);
      aliases.delete(roomId);
    },
  };
}

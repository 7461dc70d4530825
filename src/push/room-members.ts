// Who push evaluation asks about in a room: the joined members (their number is the
// room_member_count condition's input) and the local ones among them with their display names
// (contains_display_name). Kept per room and brought up to date from the room's state map by
// comparing member entries, so a message costs nothing here and a join costs one pass over the
// state map plus the changed member events.
import { stateKey, splitStateKey, type StateMap } from "../engine/index.ts";
import type { EventCache } from "../rooms/stored-event.ts";

/** Limit: rooms whose member lists are kept in memory. */
const CACHED_ROOMS = 1_000;

/** The prefix of every m.room.member key of a state map (keys are JSON pairs, see stateKey). */
const MEMBER_KEY_PREFIX = stateKey("m.room.member", "").slice(0, -3);

export interface RoomMemberView {
  /** The state map this view was computed from (shared, never mutated). */
  state: StateMap;
  /** Joined members on every server. */
  joinedCount: number;
  /** Joined local members and their display names in the room. */
  localJoined: Map<string, string | null>;
}

interface Tracked extends RoomMemberView {
  /** Member state key -> event id, as of `state`. */
  memberEvents: Map<string, string>;
  /** Membership of every member key, to keep the counts right as they change. */
  memberships: Map<string, string>;
}

export function createRoomMemberViews(deps: { cache: Pick<EventCache, "get">; isLocal: (userId: string) => boolean }) {
  const views = new Map<string, Tracked>();

  return {
    async view(roomId: string, state: StateMap): Promise<RoomMemberView> {
      let view = views.get(roomId);
      if (view?.state === state) return view;
      const changed: [key: string, eventId: string][] = [];
      let memberKeys = 0;
      for (const [key, eventId] of state) {
        if (!key.startsWith(MEMBER_KEY_PREFIX)) continue;
        memberKeys++;
        if (view?.memberEvents.get(key) !== eventId) changed.push([key, eventId]);
      }
      // A member entry left the state (a state reset): start over.
      if (view && memberKeys < view.memberEvents.size) return (views.delete(roomId), this.view(roomId, state));
      view ??= { state, joinedCount: 0, localJoined: new Map(), memberEvents: new Map(), memberships: new Map() };
      const events = new Map((await deps.cache.get(changed.map(([, id]) => id))).map((event) => [event.eventId, event]));
      for (const [key, eventId] of changed) {
        const event = events.get(eventId);
        const userId = splitStateKey(key)[1];
        const before = view.memberships.get(key);
        const after = event?.membership ?? "leave";
        if (before === "join") view.joinedCount--;
        if (after === "join") view.joinedCount++;
        view.memberEvents.set(key, eventId);
        view.memberships.set(key, after);
        if (!deps.isLocal(userId)) continue;
        if (after === "join") {
          const name = (event?.pdu.content as { displayname?: unknown } | undefined)?.displayname;
          view.localJoined.set(userId, typeof name === "string" ? name : null);
        } else {
          view.localJoined.delete(userId);
        }
      }
      view.state = state;
      views.delete(roomId);
      views.set(roomId, view);
      if (views.size > CACHED_ROOMS) views.delete(views.keys().next().value as string);
      return view;
    },
  };
}

export type RoomMemberViews = ReturnType<typeof createRoomMemberViews>;

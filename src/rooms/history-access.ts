// Who may read a room's history, and which events of it: the checks every read path shares
// (/messages, /context, /event, /members, /timestamp_to_event).
// https://spec.matrix.org/v1.19/client-server-api/#room-history-visibility
import { stateKey } from "../engine/index.ts";
import { MatrixError } from "../protocol/matrix-error.ts";
import type { JsonObject } from "../protocol/signed-json.ts";
import type { EventsRepo } from "../storage/repos/events.ts";
import { currentMember } from "./membership.ts";
import type { RoomHead, RoomHeads } from "./room-heads.ts";
import type { StateStore } from "./state-store.ts";
import type { EventCache, StoredEvent } from "./stored-event.ts";
import { canSeeEvent } from "./visibility.ts";

export interface ReadAccess {
  head: RoomHead;
  /** The user's current member event, if any. */
  member: StoredEvent | undefined;
  /** For a user who left or was banned: their leave's stream position, the last they may read. */
  upTo: number | null;
}

export interface HistoryAccess {
  /**
   * Members read the room; users who left read it up to their leave; anyone reads a room whose
   * history is world_readable now. Others: 403 M_FORBIDDEN (as Synapse's
   * check_user_in_room_or_world_readable with departed users allowed).
   */
  readAccess(roomId: string, userId: string): Promise<ReadAccess>;
  /** The events history visibility lets the user see, in the order given. */
  visible(userId: string, events: readonly StoredEvent[]): Promise<StoredEvent[]>;
}

export function createHistoryAccess(deps: { heads: RoomHeads; cache: EventCache; stateStore: StateStore; repo: Pick<EventsRepo, "lastJoin"> }): HistoryAccess {
  const { heads, cache } = deps;
  return {
    async readAccess(roomId, userId) {
      const head = await heads.get(roomId);
      // An unknown room answers like a room the user is not in: no probing for room ids.
      if (!head) throw new MatrixError(403, "M_FORBIDDEN", "You are not in this room");
      const member = await currentMember(head, cache, userId);
      if (member?.membership === "join") return { head, member, upTo: null };
      if (member?.membership === "leave" || member?.membership === "ban") return { head, member, upTo: member.streamOrdering };
      const visibilityId = head.state.get(stateKey("m.room.history_visibility", ""));
      const visibility = visibilityId ? ((await cache.one(visibilityId))?.pdu.content as JsonObject | undefined)?.history_visibility : undefined;
      if (visibility === "world_readable") return { head, member, upTo: null };
      throw new MatrixError(403, "M_FORBIDDEN", "You are not in this room and its history is not world readable");
    },

    async visible(userId, events) {
      // One lastJoin query per room for the whole batch, not one per event.
      const lastJoins = new Map<string, Promise<number | null>>();
      const lastJoin = (roomId: string, user: string) => {
        let pending = lastJoins.get(roomId);
        if (!pending) lastJoins.set(roomId, (pending = deps.repo.lastJoin(roomId, user)));
        return pending;
      };
      // Warm what canSeeEvent reads, so its lookups hit memory: the distinct snapshots one after
      // another (they share chain nodes), then the events it reads from them in one batch.
      const related = new Set<string>();
      for (const snapshot of new Set(events.map((e) => e.stateSnapshot))) {
        if (snapshot === null) continue;
        const state = await deps.stateStore.state(snapshot);
        for (const key of [stateKey("m.room.history_visibility", ""), stateKey("m.room.member", userId)]) {
          const id = state.get(key);
          if (id) related.add(id);
        }
      }
      for (const e of events) if (e.replacesState) related.add(e.replacesState);
      await cache.get([...related]);
      const checks = { heads, cache, stateStore: deps.stateStore, repo: { lastJoin } };
      const allowed = await Promise.all(events.map((e) => canSeeEvent(checks, userId, e)));
      return events.filter((_, i) => allowed[i]);
    },
  };
}

// History visibility: whether a user may see an event, from the room's state at that event.
// https://spec.matrix.org/v1.19/client-server-api/#server-behaviour-7 (history_visibility module)
import { stateKey, type StateMap } from "../engine/index.ts";
import type { JsonObject } from "../protocol/signed-json.ts";
import type { EventsRepo } from "../storage/repos/events.ts";
import type { RoomHeads } from "./room-heads.ts";
import type { StateStore } from "./state-store.ts";
import type { EventCache, StoredEvent } from "./stored-event.ts";

export interface HistoryVisibility {
  canSeeEvent(userId: string, event: StoredEvent): Promise<boolean>;
}

interface Deps {
  heads: RoomHeads;
  cache: EventCache;
  stateStore: StateStore;
  repo: Pick<EventsRepo, "lastJoin">;
}

async function contentAt(deps: Deps, state: StateMap, type: string, key: string): Promise<JsonObject | undefined> {
  const id = state.get(stateKey(type, key));
  return id ? ((await deps.cache.one(id))?.pdu.content as JsonObject | undefined) : undefined;
}

/** The spec's steps 1 to 5 for one (history_visibility, membership) pair. */
async function allowed(deps: Deps, userId: string, event: StoredEvent, visibility: unknown, membership: unknown): Promise<boolean> {
  if (visibility === "world_readable") return true;
  if (membership === "join") return true;
  if (visibility === "invited" && membership === "invite") return true;
  // Unknown or missing values count as shared.
  if (visibility !== "joined" && visibility !== "invited") {
    const lastJoin = await deps.repo.lastJoin(event.roomId, userId);
    return lastJoin !== null && lastJoin > event.streamOrdering;
  }
  return false;
}

export async function canSeeEvent(deps: Deps, userId: string, event: StoredEvent): Promise<boolean> {
  if (event.stateSnapshot === null) return false;
  const state = await deps.stateStore.state(event.stateSnapshot);
  // For a state event the snapshot is the state after it; "before" comes from what it replaced.
  const visibilityAfter = (await contentAt(deps, state, "m.room.history_visibility", ""))?.history_visibility;
  const membershipAfter = (await contentAt(deps, state, "m.room.member", userId))?.membership;
  const replaced = event.replacesState ? await deps.cache.one(event.replacesState) : undefined;
  let visibilityBefore = visibilityAfter;
  let membershipBefore = membershipAfter;
  if (event.type === "m.room.history_visibility" && event.stateKey === "") {
    visibilityBefore = (replaced?.pdu.content as JsonObject | undefined)?.history_visibility;
  } else if (event.type === "m.room.member" && event.stateKey === userId) {
    membershipBefore = (replaced?.pdu.content as JsonObject | undefined)?.membership;
  }
  if (event.stateKey === null || (visibilityBefore === visibilityAfter && membershipBefore === membershipAfter)) {
    return allowed(deps, userId, event, visibilityAfter, membershipAfter);
  }
  // History visibility events and the user's own member events: before or after.
  if (event.type === "m.room.history_visibility" || event.type === "m.room.member") {
    return (await allowed(deps, userId, event, visibilityBefore, membershipBefore)) || allowed(deps, userId, event, visibilityAfter, membershipAfter);
  }
  // Other state events: the rules read the state before them.
  return allowed(deps, userId, event, visibilityBefore, membershipBefore);
}

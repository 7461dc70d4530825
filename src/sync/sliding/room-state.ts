// `required_state` of one room (MSC4186 "RequiredStateRequest", "Lazy loaded memberships"): the
// state entries the configs ask for, plus with lazy members the member events of the timeline's
// senders and targets; then only what the connection was not sent yet, with a StateStub
// ({type, state_key}) for asked-for state that is gone.
import { splitStateKey, stateKey } from "../../engine/index.ts";
import type { StoredEvent } from "../../rooms/stored-event.ts";
import { stateWanted, type RequiredState } from "./request.ts";

export interface StateSelection {
  /** Event ids to send. */
  send: string[];
  stubs: { type: string; state_key: string }[];
  /** What the connection has been sent afterwards. */
  sent: Map<string, string>;
}

export function selectRequiredState(o: {
  /** The room's state at the response (or at the user's leave): state key -> event id. */
  state: ReadonlyMap<string, string>;
  configs: readonly RequiredState[];
  lazyMembers: boolean;
  timeline: readonly StoredEvent[];
  /** What was sent before on the connection (null: the room is sent whole). */
  previous: ReadonlyMap<string, string> | null;
}): StateSelection {
  const chosen = new Map<string, string>();
  const anyWanted = o.configs.some((c) => c.include.length > 0);
  if (anyWanted) {
    for (const [key, id] of o.state) {
      const [type, sk] = splitStateKey(key);
      if (stateWanted(o.configs, type, sk)) chosen.set(key, id);
    }
  }
  if (o.lazyMembers) {
    const users = new Set<string>();
    for (const e of o.timeline) {
      users.add(e.sender);
      if (e.type === "m.room.member" && e.stateKey !== null) users.add(e.stateKey);
    }
    for (const user of users) {
      const key = stateKey("m.room.member", user);
      const id = o.state.get(key);
      if (id) chosen.set(key, id);
    }
  }
  if (!o.previous) return { send: [...chosen.values()], stubs: [], sent: chosen };
  const send = [...chosen].filter(([key, id]) => o.previous!.get(key) !== id).map(([, id]) => id);
  const stubs: { type: string; state_key: string }[] = [];
  const sent = new Map(o.previous);
  for (const [key, id] of chosen) sent.set(key, id);
  for (const key of o.previous.keys()) {
    if (o.state.has(key)) continue;
    const [type, sk] = splitStateKey(key);
    stubs.push({ type, state_key: sk });
    sent.delete(key);
  }
  return { send, stubs, sent };
}

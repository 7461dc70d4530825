// The member lists push evaluation keeps per room, brought up to date from state maps: joins,
// leaves, display names, remote members counted but not evaluated, and a state reset.
import { expect, test } from "bun:test";
import { stateKey } from "../../src/engine/index.ts";
import { createRoomMemberViews } from "../../src/push/room-members.ts";
import type { StoredEvent } from "../../src/rooms/stored-event.ts";

const events = new Map<string, StoredEvent>();
let fetched: string[] = [];
const cache = {
  get: async (ids: readonly string[]) => {
    fetched.push(...ids);
    return ids.map((id) => events.get(id)!).filter(Boolean);
  },
};
let n = 0;
function member(userId: string, membership: string, displayname?: string): [string, string] {
  const eventId = `$m${++n}`;
  events.set(eventId, { eventId, membership, pdu: { content: { membership, displayname } } } as unknown as StoredEvent);
  return [stateKey("m.room.member", userId), eventId];
}

test("joins, leaves and renames update the view; only changed member events are read", async () => {
  const views = createRoomMemberViews({ cache, isLocal: (userId) => userId.endsWith(":here") });
  const create: [string, string] = [stateKey("m.room.create", ""), "$create"];
  let state = new Map([create, member("@a:here", "join", "Ann"), member("@b:here", "invite"), member("@r:remote", "join")]);
  let view = await views.view("!r", state);
  expect([view.joinedCount, [...view.localJoined]]).toEqual([2, [["@a:here", "Ann"]]]);
  // The same state map: nothing read again.
  fetched = [];
  expect(await views.view("!r", state)).toBe(view);
  expect(fetched).toEqual([]);

  state = new Map([...state, member("@b:here", "join"), member("@a:here", "join", "Annie")]);
  view = await views.view("!r", state);
  expect(fetched).toHaveLength(2);
  expect([view.joinedCount, Object.fromEntries(view.localJoined)]).toEqual([3, { "@a:here": "Annie", "@b:here": null }]);

  state = new Map([...state, member("@a:here", "leave"), member("@r:remote", "ban")]);
  view = await views.view("!r", state);
  expect([view.joinedCount, [...view.localJoined.keys()]]).toEqual([1, ["@b:here"]]);

  // A state reset that drops member entries: computed again from scratch.
  const reset = new Map([create, member("@c:here", "join")]);
  view = await views.view("!r", reset);
  expect([view.joinedCount, [...view.localJoined.keys()]]).toEqual([1, ["@c:here"]]);
});

// Who may see a room's summary without being in it (space hierarchy, room summary): the spec's
// list for the hierarchy, which GET /room_summary shares. A viewer is a user, or (federation's
// hierarchy request) a whole server, for which any of its users counts, as in Synapse.
// https://spec.matrix.org/v1.19/client-server-api/#get_matrixclientv1roomsroomidhierarchy
import { stateKey as keyOf } from "../engine/index.ts";
import type { JsonObject } from "../protocol/signed-json.ts";
import { currentMember } from "./membership.ts";
import type { RoomHead, RoomHeads } from "./room-heads.ts";
import type { EventCache } from "./stored-event.ts";

export type Viewer = { userId: string } | { server: string };

export function createRoomAccess(deps: { heads: Pick<RoomHeads, "get">; cache: EventCache }) {
  const { heads, cache } = deps;

  async function stateContent(head: RoomHead, type: string): Promise<JsonObject | undefined> {
    const id = head.state.get(keyOf(type, ""));
    return id ? ((await cache.one(id))?.pdu.content as JsonObject | undefined) : undefined;
  }

  /** The rooms a restricted join rule names (in versions where the rule exists). */
  function allowedRooms(head: RoomHead, joinRules: JsonObject | undefined): string[] {
    const rule = joinRules?.join_rule;
    const supported = (rule === "restricted" && head.rules.restricted_join_rule) || (rule === "knock_restricted" && head.rules.knock_restricted_join_rule);
    if (!supported || !Array.isArray(joinRules?.allow)) return [];
    return (joinRules.allow as JsonObject[]).flatMap((a) => (a?.type === "m.room_membership" && typeof a.room_id === "string" ? [a.room_id] : []));
  }

  /** Whether the user (or any user of the server) has one of `memberships` in the room. */
  async function isMember(head: RoomHead, viewer: Viewer, memberships: readonly string[]): Promise<boolean> {
    if ("userId" in viewer) return memberships.includes((await currentMember(head, cache, viewer.userId))?.membership ?? "");
    const suffix = `:${viewer.server}`;
    const ids = [...head.state].filter(([key]) => key.startsWith('["m.room.member",') && (JSON.parse(key) as string[])[1]!.endsWith(suffix)).map(([, id]) => id);
    return (await cache.get(ids)).some((event) => memberships.includes(event.membership ?? ""));
  }

  /**
   * The spec's list: joined or invited, public, knockable, restricted with an allowed room joined,
   * or world_readable. For a server (as Synapse): any of its users joined or invited counts.
   */
  async function accessible(head: RoomHead, viewer: Viewer): Promise<boolean> {
    const joinRules = await stateContent(head, "m.room.join_rules");
    const rule = joinRules?.join_rule;
    if (rule === "public") return true;
    if ((rule === "knock" && head.rules.knocking) || (rule === "knock_restricted" && head.rules.knock_restricted_join_rule)) return true;
    if ((await stateContent(head, "m.room.history_visibility"))?.history_visibility === "world_readable") return true;
    if (await isMember(head, viewer, ["join", "invite"])) return true;
    for (const roomId of allowedRooms(head, joinRules)) {
      const other = await heads.get(roomId);
      if (other && (await isMember(other, viewer, ["join"]))) return true;
    }
    return false;
  }

  return { stateContent, allowedRooms, isMember, accessible };
}

export type RoomAccess = ReturnType<typeof createRoomAccess>;

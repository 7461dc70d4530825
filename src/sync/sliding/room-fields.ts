// The scalar fields of a sliding sync room entry (MSC4186 "RoomResult"): name, avatar, heroes
// (only without a name; joined, then invited, then left members, as /v3/sync's m.heroes),
// member counts, unread counts, is_dm, bump_stamp; and their delta against what was sent.
import { stateKey } from "../../engine/index.ts";
import type { EventCache } from "../../rooms/stored-event.ts";
import type { SyncRepo } from "../../storage/repos/sync.ts";
import type { RoomUnreadCounts } from "../sources.ts";
import type { SelectedRoom } from "./room-data.ts";

/** Limit: heroes per room (as /v3/sync). */
const HEROES = 5;

export interface Hero {
  user_id: string;
  displayname?: string;
  avatar_url?: string;
}

export interface RoomFieldValues {
  name?: string;
  avatar?: string;
  heroes?: Hero[];
  joined_count?: number;
  invited_count?: number;
  notification_count?: number;
  highlight_count?: number;
  is_dm?: boolean;
  bump_stamp?: number;
}

/** What a field that went away is sent as (fields not listed are left out). */
const GONE: Partial<Record<keyof RoomFieldValues, unknown>> = { name: null, avatar: null, is_dm: false };

const text = (v: unknown) => (typeof v === "string" && v !== "" ? v : undefined);

export const roomFields = {
  /** The fields that move without a room event. */
  light(s: SelectedRoom, counts: RoomUnreadCounts | undefined): RoomFieldValues {
    return { is_dm: s.isDm || undefined, notification_count: counts?.notification_count ?? 0, highlight_count: counts?.highlight_count ?? 0 };
  },

  async load(
    deps: { syncRepo: Pick<SyncRepo, "heroes">; cache: EventCache },
    rooms: { s: SelectedRoom; state: ReadonlyMap<string, string>; summary?: { joined: number; invited: number }; counts?: RoomUnreadCounts }[],
    userId: string,
  ): Promise<Map<string, RoomFieldValues>> {
    const ids = rooms.flatMap(({ state }) => [state.get(stateKey("m.room.name", "")), state.get(stateKey("m.room.avatar", ""))]).filter((id): id is string => id !== undefined);
    const events = new Map((await deps.cache.get(ids)).map((e) => [e.eventId, e.pdu.content as Record<string, unknown> | undefined]));
    const contentOf = (state: ReadonlyMap<string, string>, type: string) => events.get(state.get(stateKey(type, "")) ?? "") ?? {};
    const result = new Map<string, RoomFieldValues>();
    const unnamed: string[] = [];
    for (const { s, state, summary, counts } of rooms) {
      const name = text(contentOf(state, "m.room.name").name);
      if (!name) unnamed.push(s.room.row.roomId);
      result.set(s.room.row.roomId, {
        name,
        avatar: text(contentOf(state, "m.room.avatar").url),
        joined_count: summary?.joined ?? 0,
        invited_count: summary?.invited ?? 0,
        bump_stamp: s.room.bump,
        ...roomFields.light(s, counts),
      });
    }
    const heroRows = Map.groupBy(await deps.syncRepo.heroes(unnamed, userId, HEROES), (h) => h.roomId);
    const stateOf = new Map(rooms.map((r) => [r.s.room.row.roomId, r.state]));
    const memberIds = [...heroRows].flatMap(([roomId, rows]) => rows.map((h) => stateOf.get(roomId)?.get(stateKey("m.room.member", h.userId)))).filter((id): id is string => id !== undefined);
    const members = new Map((await deps.cache.get(memberIds)).map((e) => [JSON.stringify([e.roomId, e.stateKey]), e.pdu.content as Record<string, unknown>]));
    for (const roomId of unnamed) {
      const candidates = heroRows.get(roomId) ?? [];
      const present = candidates.filter((h) => h.membership === "join" || h.membership === "invite");
      result.get(roomId)!.heroes = (present.length > 0 ? present : candidates).map((h) => {
        const content = members.get(JSON.stringify([roomId, h.userId])) ?? {};
        const hero: Hero = { user_id: h.userId };
        if (text(content.displayname)) hero.displayname = content.displayname as string;
        if (text(content.avatar_url)) hero.avatar_url = content.avatar_url as string;
        return hero;
      });
    }
    return result;
  },

  encode(fields: RoomFieldValues): Record<string, string> {
    const encoded: Record<string, string> = {};
    for (const [key, value] of Object.entries(fields)) encoded[key] = value === undefined ? "" : JSON.stringify(value);
    return encoded;
  },

  /** The fields to send: all set ones when initial, else those whose value changed since sent. */
  diff(fields: RoomFieldValues, sent: Readonly<Record<string, string>>, initial: boolean): Record<string, unknown> {
    const delta: Record<string, unknown> = {};
    for (const [key, value] of Object.entries(fields) as [keyof RoomFieldValues, unknown][]) {
      if (initial) {
        if (value !== undefined) delta[key] = value;
        continue;
      }
      const before = sent[key] ?? "";
      if (value === undefined) {
        if (before !== "" && key in GONE) delta[key] = GONE[key];
      } else if (JSON.stringify(value) !== before) delta[key] = value;
    }
    return delta;
  },
};

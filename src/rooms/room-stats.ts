// What a state event changes in room_stats (the directory's and sync summaries' view of a room).
import type { JsonObject } from "../protocol/signed-json.ts";
import type { RoomStatsChange } from "../storage/repos/events.ts";

const text = (value: unknown): string | null => (typeof value === "string" ? value : null);

const count = (membership: string | null, of: string) => (membership === of ? 1 : 0);

export function statsChange(type: string, content: JsonObject, previousMembership: string | null): RoomStatsChange {
  switch (type) {
    case "m.room.create":
      return { roomType: text(content.type) };
    case "m.room.name":
      return { name: text(content.name) || null };
    case "m.room.topic":
      return { topic: text(content.topic) || null };
    case "m.room.avatar":
      return { avatarUrl: text(content.url) || null };
    case "m.room.canonical_alias":
      return { canonicalAlias: text(content.alias) };
    case "m.room.join_rules":
      return { joinRule: text(content.join_rule) };
    case "m.room.history_visibility":
      return { historyVisibility: text(content.history_visibility) };
    case "m.room.guest_access":
      return { guestAccess: text(content.guest_access) };
    case "m.room.encryption":
      return { encryption: text(content.algorithm) };
    case "m.room.member": {
      const membership = text(content.membership);
      return {
        joinedDelta: count(membership, "join") - count(previousMembership, "join"),
        invitedDelta: count(membership, "invite") - count(previousMembership, "invite"),
      };
    }
    default:
      return {};
  }
}

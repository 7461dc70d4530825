// The bodies of POST /_matrix/push/v1/notify: one event's notification (in full or, for
// data.format "event_id_only", ids and counts only), or a badge update (counts only), with the
// unread count Synapse sends (rooms with unread notifications and invites, or notifications).
// https://spec.matrix.org/v1.19/push-gateway-api/#post_matrixpushv1notify
import { stateKey } from "../engine/index.ts";
import type { RoomHeads } from "../rooms/room-heads.ts";
import type { EventCache, StoredEvent } from "../rooms/stored-event.ts";
import type { PusherRow } from "../storage/repos/pushers.ts";
import type { UnreadCounts } from "./unread-counts.ts";

/** The `tweaks` of a rule's actions: each set_tweak with its value (true when absent, as for highlight). */
export function tweaksOf(actions: readonly unknown[]): Record<string, unknown> {
  const tweaks: Record<string, unknown> = {};
  for (const action of actions) {
    if (typeof action === "object" && action !== null && typeof (action as { set_tweak?: unknown }).set_tweak === "string") {
      const { set_tweak: name, value } = action as { set_tweak: string; value?: unknown };
      tweaks[name] = value === undefined ? true : value;
    }
  }
  return tweaks;
}

/**
 * "high" when the notification makes a sound or highlights, or may (an encrypted event, whose
 * rules the client evaluates), as Synapse: gateways wake the phone for those only.
 */
export function priorityOf(type: string, tweaks: Record<string, unknown>): "high" | "low" {
  return type === "m.room.encrypted" || Boolean(tweaks.highlight) || Boolean(tweaks.sound) ? "high" : "low";
}

/** One `devices` entry: the pusher's data without url, and the tweaks when given. */
function device(pusher: PusherRow, tweaks?: Record<string, unknown>) {
  const { url: _url, ...data } = pusher.data;
  return {
    app_id: pusher.appId,
    pushkey: pusher.pushkey,
    pushkey_ts: Math.floor(pusher.createdTs / 1000),
    data,
    ...(tweaks && Object.keys(tweaks).length > 0 ? { tweaks } : {}),
  };
}

const nonEmptyString = (value: unknown): string | undefined => (typeof value === "string" && value.length > 0 ? value : undefined);

export function createPushPayloads(deps: {
  heads: Pick<RoomHeads, "get">;
  cache: Pick<EventCache, "one">;
  roomsOf(userId: string, memberships: readonly string[]): Promise<string[]>;
  unreadCounts: Pick<UnreadCounts, "unreadCounts">;
  includeContent: boolean;
  groupUnreadCountByRoom: boolean;
}) {
  /** A state event's content in the room's current state. */
  async function stateContent(state: ReadonlyMap<string, string>, type: string, key: string): Promise<Record<string, unknown> | undefined> {
    const id = state.get(stateKey(type, key));
    return id ? ((await deps.cache.one(id))?.pdu.content as Record<string, unknown> | undefined) : undefined;
  }

  /** Names for the notification: the sender's display name, the room's name and canonical alias. */
  async function context(event: StoredEvent) {
    const head = await deps.heads.get(event.roomId);
    if (!head) return {};
    const [member, name, alias] = await Promise.all([
      stateContent(head.state, "m.room.member", event.sender),
      stateContent(head.state, "m.room.name", ""),
      stateContent(head.state, "m.room.canonical_alias", ""),
    ]);
    const fields: Record<string, string> = {};
    const senderName = nonEmptyString(member?.displayname);
    if (senderName) fields.sender_display_name = senderName;
    const roomName = nonEmptyString(name?.name);
    if (roomName) fields.room_name = roomName;
    const roomAlias = nonEmptyString(alias?.alias);
    if (roomAlias) fields.room_alias = roomAlias;
    return fields;
  }

  return {
    /**
     * Synapse's badge: invites, plus rooms with unread notifications (group_unread_count_by_room)
     * or all unread notifications of the user's joined rooms.
     */
    async badge(userId: string): Promise<number> {
      const [joined, invited] = await Promise.all([deps.roomsOf(userId, ["join"]), deps.roomsOf(userId, ["invite"])]);
      let badge = invited.length;
      for (const room of (await deps.unreadCounts.unreadCounts(userId, joined)).values()) {
        if (room.notification_count > 0) badge += deps.groupUnreadCountByRoom ? 1 : room.notification_count;
      }
      return badge;
    },

    /** The notification of `event` for `userId` through `pusher`; null when the event is gone. */
    async event(pusher: PusherRow, userId: string, eventId: string, actions: readonly unknown[], badge: number) {
      const event = await deps.cache.one(eventId);
      if (!event) return null;
      const tweaks = tweaksOf(actions);
      const prio = priorityOf(event.type, tweaks);
      const counts = { unread: badge };
      if (pusher.data.format === "event_id_only") {
        // Ids and counts only (prio too, as Synapse: gateways use it); no tweaks.
        return { notification: { event_id: event.eventId, room_id: event.roomId, prio, counts, devices: [device(pusher)] } };
      }
      // A redacted event's content is not sent (what is left of it says nothing).
      const content = event.redactedBy ? undefined : (event.pdu.content as Record<string, unknown> | undefined);
      return {
        notification: {
          event_id: event.eventId,
          room_id: event.roomId,
          type: event.type,
          sender: event.sender,
          ...(await context(event)),
          ...(event.type === "m.room.member" && event.stateKey !== null ? { user_is_target: event.stateKey === userId } : {}),
          prio,
          ...(deps.includeContent && content && Object.keys(content).length > 0 ? { content } : {}),
          counts,
          devices: [device(pusher, tweaks)],
        },
      };
    },

    /** A badge update: counts only, no event. */
    badgeUpdate(pusher: PusherRow, badge: number) {
      return { notification: { counts: { unread: badge }, devices: [device(pusher)] } };
    },
  };
}

export type PushPayloads = ReturnType<typeof createPushPayloads>;

// Room membership of local users: join (by id or alias, restricted rooms), invite, leave,
// kick, ban, unban, knock, forget; the auth rules (engine) decide what is allowed.
// https://spec.matrix.org/v1.19/client-server-api/#room-membership
import { stateKey, type Engine } from "../engine/index.ts";
import { isUserId } from "../auth/user-id-checks.ts";
import { MatrixError } from "../protocol/matrix-error.ts";
import type { JsonObject } from "../protocol/signed-json.ts";
import type { EventsRepo } from "../storage/repos/events.ts";
import type { EventAppender } from "./event-appender.ts";
import type { RoomDirectory } from "./directory.ts";
import { requiredPower, userPower } from "./power-levels.ts";
import type { RoomModeration } from "./admin-moderation.ts";
import type { RoomHead, RoomHeads } from "./room-heads.ts";
import type { EventCache, StoredEvent } from "./stored-event.ts";

export interface MemberOptions {
  reason?: string;
  isDirect?: boolean;
}

export interface Membership {
  /** The content of a member event for a local user: membership plus their profile (displayname, avatar_url). */
  memberContent(userId: string, membership: string, reason?: string): Promise<JsonObject>;
  /** Joins a room by id or alias; `via` servers are for remote joins (federation, later). */
  join(roomIdOrAlias: string, userId: string, options?: { reason?: string; via?: string[]; isGuest?: boolean }): Promise<string>;
  invite(roomId: string, sender: string, target: string, options?: MemberOptions): Promise<StoredEvent>;
  leave(roomId: string, userId: string, options?: MemberOptions): Promise<StoredEvent>;
  kick(roomId: string, sender: string, target: string, options?: MemberOptions): Promise<StoredEvent>;
  ban(roomId: string, sender: string, target: string, options?: MemberOptions): Promise<StoredEvent>;
  unban(roomId: string, sender: string, target: string, options?: MemberOptions): Promise<StoredEvent>;
  knock(roomIdOrAlias: string, userId: string, options?: MemberOptions): Promise<string>;
  forget(roomId: string, userId: string): Promise<void>;
  /** Sends updated member events to every room the user is joined to (profile change). */
  profileChanged(userId: string): Promise<void>;
  /** Leaves every room the user is joined to, invited to or knocking on (deactivation). */
  leaveAll(userId: string): Promise<void>;
}

/** The member event of `userId` in the head's current state. */
export async function currentMember(head: RoomHead, cache: EventCache, userId: string): Promise<StoredEvent | undefined> {
  const id = head.state.get(stateKey("m.room.member", userId));
  return id ? cache.one(id) : undefined;
}

/**
 * Guests join only rooms whose m.room.guest_access is can_join (checked with the room locked).
 * https://spec.matrix.org/v1.19/client-server-api/#guest-access
 */
export async function checkGuestMayJoin(head: RoomHead, cache: EventCache): Promise<void> {
  const id = head.state.get(stateKey("m.room.guest_access", ""));
  const content = id ? ((await cache.one(id))?.pdu.content as JsonObject | undefined) : undefined;
  if (content?.guest_access !== "can_join") throw new MatrixError(403, "M_GUEST_ACCESS_FORBIDDEN", "Guests may not join this room");
}

export function createMembership(deps: {
  engine: Engine;
  serverName: string;
  appender: EventAppender;
  heads: RoomHeads;
  cache: EventCache;
  repo: Pick<EventsRepo, "sql">;
  directory: Pick<RoomDirectory, "resolveLocalAlias">;
  profileOf(userId: string): Promise<{ displayname?: string; avatar_url?: string }>;
  /** Rooms where the user's current membership is one of `memberships`. */
  roomsOf(userId: string, memberships: string[]): Promise<string[]>;
  forgetRoom(userId: string, roomId: string): Promise<void>;
  /** Rooms an admin blocked and accounts an admin suspended (admin API); without it, none. */
  moderation?: RoomModeration;
  /**
   * Asks the application service whose user namespace holds an unknown invitee to create it
   * (src/appservice/queries.ts via main.ts; rooms may not import it).
   * https://spec.matrix.org/v1.19/application-service-api/#get_matrixappv1usersuserid
   */
  userQuery?: (userId: string) => Promise<unknown>;
}): Membership {
  const { appender, heads, cache } = deps;

  /**
   * Joins, knocks and invites: refused into a room an admin blocked (403 as Synapse) and to a
   * suspended user (spec: account suspension lists joining, knocking and invites).
   */
  function checkModeration(roomId: string, userId: string): void {
    if (deps.moderation?.userSuspended(userId)) throw new MatrixError(403, "M_USER_SUSPENDED", "You cannot perform this action while suspended.");
    if (deps.moderation?.roomBlocked(roomId)) throw new MatrixError(403, "M_FORBIDDEN", "This room has been blocked on this server");
  }

  async function resolve(roomIdOrAlias: string): Promise<string> {
    if (roomIdOrAlias.startsWith("!")) return roomIdOrAlias;
    if (!roomIdOrAlias.startsWith("#")) throw new MatrixError(400, "M_INVALID_PARAM", "Expected a room id or alias");
    const roomId = await deps.directory.resolveLocalAlias(roomIdOrAlias);
    if (!roomId) throw new MatrixError(404, "M_NOT_FOUND", "Room alias not found");
    return roomId;
  }

  async function memberContent(userId: string, membership: string, reason?: string): Promise<JsonObject> {
    const profile = await deps.profileOf(userId);
    const content: JsonObject = { membership };
    if (typeof profile.displayname === "string") content.displayname = profile.displayname;
    if (typeof profile.avatar_url === "string") content.avatar_url = profile.avatar_url;
    if (reason !== undefined) content.reason = reason;
    return content;
  }

  const checkTarget = (target: string) => {
    if (!isUserId(target)) throw new MatrixError(400, "M_INVALID_PARAM", "Invalid user id");
  };

  /** A member event about `target` sent by `sender` (kick, ban, unban, invite). */
  async function sendAbout(roomId: string, sender: string, target: string, membership: string, options: MemberOptions = {}, unban = false): Promise<StoredEvent> {
    checkTarget(target);
    if (membership === "invite") checkModeration(roomId, sender);
    if (membership === "invite" && target.endsWith(`:${deps.serverName}`)) await deps.userQuery?.(target);
    const content: JsonObject =
      membership === "invite" && target.endsWith(`:${deps.serverName}`) ? await memberContent(target, "invite", options.reason) : { membership };
    if (options.reason !== undefined) content.reason = options.reason;
    if (options.isDirect) content.is_direct = true;
    return appender.append({ roomId, type: "m.room.member", sender, stateKey: target, content }, {
      check: async (head) => {
        if (membership === "invite" && !target.endsWith(`:${deps.serverName}`)) {
          throw new MatrixError(403, "M_FORBIDDEN", "Inviting users of other servers needs federation, which this server does not run yet");
        }
        if (membership === "leave" && sender !== target) {
          // Kick and unban: the target must be in the room (joined, invited, knocking), or banned to unban.
          const current = (await currentMember(head, cache, target))?.membership;
          const expected = unban ? ["ban"] : ["join", "invite", "knock"];
          if (!current || !expected.includes(current)) throw new MatrixError(403, "M_FORBIDDEN", unban ? "The user is not banned" : "The user is not in the room");
        }
      },
    });
  }

  /** The content of a state event with an empty state key in the head's state. */
  async function stateContent(head: RoomHead, type: string): Promise<JsonObject | undefined> {
    const id = head.state.get(stateKey(type, ""));
    return id ? ((await cache.one(id))?.pdu.content as JsonObject | undefined) : undefined;
  }

  /**
   * Restricted rooms (v8+): a user joined to one of the `allow` rooms may join without an
   * invite; the join names a joined local user who may invite, which the auth rules check again.
   * Undefined when no authorisation applies (then the auth rules decide on the plain join).
   * https://spec.matrix.org/v1.19/client-server-api/#restricted-rooms
   */
  async function authoriser(head: RoomHead, userId: string): Promise<string | undefined> {
    const rules = await stateContent(head, "m.room.join_rules");
    if (rules?.join_rule !== "restricted" && rules?.join_rule !== "knock_restricted") return undefined;
    const own = (await currentMember(head, cache, userId))?.membership;
    if (own === "join" || own === "invite") return undefined;
    const allow = Array.isArray(rules.allow) ? (rules.allow as JsonObject[]) : [];
    let allowed = false;
    for (const entry of allow) {
      if (entry?.type !== "m.room_membership" || typeof entry.room_id !== "string") continue;
      const other = await heads.get(entry.room_id);
      if (other && (await currentMember(other, cache, userId))?.membership === "join") allowed = true;
    }
    if (!allowed) return undefined;
    const inviteLevel = await requiredPower(head, cache, { action: "invite" });
    for (const [key, id] of head.state) {
      if (!key.startsWith('["m.room.member",')) continue;
      const member = await cache.one(id);
      const candidate = member?.stateKey;
      if (!candidate || member.membership !== "join" || !candidate.endsWith(`:${deps.serverName}`)) continue;
      if ((await userPower(head, cache, candidate)) >= inviteLevel) return candidate;
    }
    return undefined;
  }

  const self: Membership = {
    memberContent,

    async join(roomIdOrAlias, userId, options = {}) {
      const roomId = await resolve(roomIdOrAlias);
      checkModeration(roomId, userId);
      if (!(await heads.get(roomId))) throw new MatrixError(404, "M_NOT_FOUND", "This server does not know the room (joining over federation is not available yet)");
      const content = await memberContent(userId, "join", options.reason);
      await appender.append({ roomId, type: "m.room.member", sender: userId, stateKey: userId, content }, {
        check: async (head) => {
          if (options.isGuest) await checkGuestMayJoin(head, cache);
          const via = await authoriser(head, userId);
          if (via) content.join_authorised_via_users_server = via;
        },
      });
      return roomId;
    },

    invite: (roomId, sender, target, options) => sendAbout(roomId, sender, target, "invite", options),
    kick: (roomId, sender, target, options) => sendAbout(roomId, sender, target, "leave", options),
    ban: (roomId, sender, target, options) => sendAbout(roomId, sender, target, "ban", options),
    unban: (roomId, sender, target, options) => sendAbout(roomId, sender, target, "leave", options, true),

    async leave(roomId, userId, options = {}) {
      const head = await heads.get(roomId);
      const member = head ? await currentMember(head, cache, userId) : undefined;
      if (!head || !member || member.membership === "leave") throw new MatrixError(403, "M_FORBIDDEN", "You are not in the room");
      const content: JsonObject = { membership: "leave" };
      if (options.reason !== undefined) content.reason = options.reason;
      return appender.append({ roomId, type: "m.room.member", sender: userId, stateKey: userId, content });
    },

    async knock(roomIdOrAlias, userId, options = {}) {
      const roomId = await resolve(roomIdOrAlias);
      checkModeration(roomId, userId);
      if (!(await heads.get(roomId))) throw new MatrixError(404, "M_NOT_FOUND", "This server does not know the room");
      await appender.append({ roomId, type: "m.room.member", sender: userId, stateKey: userId, content: await memberContent(userId, "knock", options.reason) });
      return roomId;
    },

    async forget(roomId, userId) {
      const head = await heads.get(roomId);
      const member = head ? await currentMember(head, cache, userId) : undefined;
      // Never in the room: nothing to forget (Synapse answers 200 too).
      if (!member) return;
      if (member.membership === "join" || member.membership === "invite" || member.membership === "knock") {
        throw new MatrixError(400, "M_UNKNOWN", "Leave the room before forgetting it");
      }
      await deps.forgetRoom(userId, roomId);
    },

    async profileChanged(userId) {
      const content = await memberContent(userId, "join");
      for (const roomId of await deps.roomsOf(userId, ["join"])) {
        await appender.append({ roomId, type: "m.room.member", sender: userId, stateKey: userId, content: { ...content } }).catch(() => {
          // A room whose rules refuse the update (e.g. a ban raced it) keeps the old profile.
        });
      }
    },

    async leaveAll(userId) {
      for (const roomId of await deps.roomsOf(userId, ["join", "invite", "knock"])) {
        await appender.append({ roomId, type: "m.room.member", sender: userId, stateKey: userId, content: { membership: "leave" } }).catch(() => {});
      }
    },
  };
  return self;
}

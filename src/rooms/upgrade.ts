// POST /rooms/{roomId}/upgrade: a replacement room in the new version, with the old room's
// transferable state, aliases and bans, and a tombstone in the old room.
// https://spec.matrix.org/v1.19/client-server-api/#room-upgrades (server behaviour)
import { isUserId } from "../auth/user-id-checks.ts";
import { stateKey as keyOf, type Engine } from "../engine/index.ts";
import { MatrixError } from "../protocol/matrix-error.ts";
import type { JsonObject } from "../protocol/signed-json.ts";
import type { RoomDirectoryRepo } from "../storage/repos/room-directory.ts";
import type { EventAppender } from "./event-appender.ts";
import { currentMember, type Membership } from "./membership.ts";
import { hasPower, roomCreators, userPower } from "./power-levels.ts";
import type { RoomHeads } from "./room-heads.ts";
import type { EventCache } from "./stored-event.ts";

/** The spec's recommended transferable state (power levels are handled on their own), plus related groups as Synapse. */
const COPIED_STATE = [
  "m.room.server_acl", "m.room.encryption", "m.room.name", "m.room.avatar", "m.room.topic",
  "m.room.guest_access", "m.room.history_visibility", "m.room.join_rules", "m.room.related_groups",
];
const LEVEL_KEYS = ["ban", "kick", "redact", "invite", "events_default", "state_default", "users_default"];

export interface RoomUpgrader {
  upgrade(userId: string, roomId: string, request: { new_version: string; additional_creators?: string[] }): Promise<{ replacement_room: string }>;
}

/** A level as an integer (v1-v9 allowed numeric strings, v10+ requires integers); undefined when it is neither. */
const level = (value: unknown): number | undefined =>
  typeof value === "number" && Number.isSafeInteger(value) ? value : typeof value === "string" && /^-?\d{1,15}$/.test(value.trim()) ? Number(value) : undefined;

/** The power levels content with every level an integer and invalid entries dropped (as Synapse's copy_and_fixup). */
function fixedPowerLevels(content: JsonObject): JsonObject & { users: Record<string, number>; events: Record<string, number> } {
  const fixed: JsonObject = { ...content };
  for (const key of LEVEL_KEYS) {
    if (key in fixed) {
      const value = level(fixed[key]);
      if (value === undefined) delete fixed[key];
      else fixed[key] = value;
    }
  }
  for (const map of ["users", "events", "notifications"]) {
    const entries = Object.entries(typeof content[map] === "object" && content[map] !== null ? (content[map] as JsonObject) : {});
    fixed[map] = Object.fromEntries(entries.flatMap(([k, v]) => (level(v) === undefined ? [] : [[k, level(v)!]])));
  }
  return fixed as JsonObject & { users: Record<string, number>; events: Record<string, number> };
}

export function createRoomUpgrader(deps: {
  engine: Engine;
  appender: EventAppender;
  heads: RoomHeads;
  cache: EventCache;
  membership: Pick<Membership, "memberContent">;
  directory: Pick<RoomDirectoryRepo, "moveAliases" | "isPublic" | "setPublic">;
  serverName: string;
  /** Users whose current membership of the room is `membership`. */
  membersOf(roomId: string, membership: string): Promise<string[]>;
}): RoomUpgrader {
  const { appender, heads, cache, serverName } = deps;
  const isLocal = (alias: unknown): alias is string => typeof alias === "string" && alias.endsWith(`:${serverName}`);
  /** One upgrade per room and user at a time; a repeated request gets the same answer (as Synapse's response cache). */
  const inFlight = new Map<string, Promise<{ replacement_room: string }>>();

  async function upgrade(userId: string, roomId: string, newVersion: string, additional: string[]): Promise<string> {
    const rules = deps.engine.roomVersions.get(newVersion);
    if (!rules) throw new MatrixError(400, "M_UNSUPPORTED_ROOM_VERSION", `Room version ${JSON.stringify(newVersion)} is not supported`);
    const head = await heads.get(roomId);
    if (!head) throw new MatrixError(404, "M_NOT_FOUND", "Unknown room");
    // 1. The user may send m.room.tombstone (and is in the room, which the auth rules need too).
    if ((await currentMember(head, cache, userId))?.membership !== "join") throw new MatrixError(403, "M_FORBIDDEN", "You are not in the room");
    if (!(await hasPower(head, cache, userId, { eventType: "m.room.tombstone", isState: true }))) throw new MatrixError(403, "M_FORBIDDEN", "You cannot upgrade this room");
    const extraCreators = rules.privileged_creators ? [...new Set(additional)].filter((u) => u !== userId) : [];
    for (const user of extraCreators) if (!isUserId(user)) throw new MatrixError(400, "M_INVALID_PARAM", `Invalid user id in additional_creators: ${user}`);

    const state = head.state;
    const read = async (type: string, key = "") => {
      const id = state.get(keyOf(type, key));
      const event = id ? await cache.one(id) : undefined;
      return event && !event.redactedBy ? (event.pdu.content as JsonObject) : undefined;
    };
    const oldCreate = (await read("m.room.create")) ?? {};
    const [lastEventId] = [...head.extremities].sort((a, b) => b[1] - a[1])[0] ?? [];

    // 2. The replacement room's create event: predecessor, version, the old room's type.
    const creation: JsonObject = { room_version: newVersion, predecessor: lastEventId ? { room_id: roomId, event_id: lastEventId } : { room_id: roomId } };
    if (typeof oldCreate.type === "string") creation.type = oldCreate.type;
    if (oldCreate["m.federate"] === false) creation["m.federate"] = false;
    if (extraCreators.length > 0) creation.additional_creators = extraCreators;
    if (!rules.privileged_creators && !rules.creator_is_create_sender) creation.creator = userId;
    const newRoomId = (await appender.create(newVersion, userId, creation)).roomId;
    const send = (type: string, content: JsonObject, stateKey = "") => appender.append({ roomId: newRoomId, type, sender: userId, content, stateKey });
    await send("m.room.member", await deps.membership.memberContent(userId, "join"), userId);

    // Power levels: the old room's, with creators of a v12+ room left out; the upgrader holds the
    // level every copied event needs until the copies are sent, then gets their own back.
    const oldPowerLevels = await read("m.room.power_levels");
    let finalPowerLevels: JsonObject | undefined;
    if (oldPowerLevels) {
      const pl = fixedPowerLevels(oldPowerLevels);
      const needed = Math.max(level(pl.state_default) ?? 50, level(pl.ban) ?? 50, ...Object.values(pl.events));
      if (rules.privileged_creators) {
        for (const creator of [userId, ...extraCreators]) delete pl.users[creator];
        await send("m.room.power_levels", pl);
      } else {
        // Creators of a v12+ old room had no listed level: they keep the top one.
        const top = Math.max(100, needed);
        if (head.rules.privileged_creators) for (const creator of await roomCreators(head, cache)) pl.users[creator] ??= top;
        const own = await userPower(head, cache, userId);
        pl.users[userId] = Number.isFinite(own) ? own : top;
        await send("m.room.power_levels", { ...pl, users: { ...pl.users, [userId]: Math.max(pl.users[userId]!, needed) } });
        if (pl.users[userId]! < needed) finalPowerLevels = pl;
      }
    }

    // 3. Transferable state, a space's children, and the bans.
    for (const type of COPIED_STATE) {
      const content = await read(type);
      if (content) await send(type, content);
    }
    if (oldCreate.type === "m.space") {
      for (const [key, id] of state) {
        if (!key.startsWith('["m.space.child",')) continue;
        const child = await cache.one(id);
        if (child && !child.redactedBy && child.stateKey !== null) await send("m.space.child", child.pdu.content as JsonObject, child.stateKey);
      }
    }
    for (const target of await deps.membersOf(roomId, "ban")) {
      const id = state.get(keyOf("m.room.member", target));
      const reason = id ? ((await cache.one(id))?.pdu.content as JsonObject | undefined)?.reason : undefined;
      await send("m.room.member", typeof reason === "string" ? { membership: "ban", reason } : { membership: "ban" }, target);
    }
    if (finalPowerLevels) await send("m.room.power_levels", finalPowerLevels);

    // 4. Local aliases move; the canonical alias's local aliases go with them; a published room stays published.
    await deps.directory.moveAliases(roomId, newRoomId);
    const canonical = await read("m.room.canonical_alias");
    if (canonical) {
      const { alias, alt_aliases: alt, ...rest } = canonical;
      const alts = Array.isArray(alt) ? alt : [];
      const kept: JsonObject = { ...rest };
      if (alts.some((a) => !isLocal(a))) kept.alt_aliases = alts.filter((a) => !isLocal(a));
      const moved: JsonObject = {};
      if (isLocal(alias)) moved.alias = alias;
      if (alts.some(isLocal)) moved.alt_aliases = alts.filter(isLocal);
      // Best effort, as Synapse: the upgrade stands without them.
      await appender.append({ roomId, type: "m.room.canonical_alias", sender: userId, stateKey: "", content: kept }).catch(() => {});
      if (Object.keys(moved).length > 0) await send("m.room.canonical_alias", moved).catch(() => {});
    }
    if (await deps.directory.isPublic(roomId)) {
      await deps.directory.setPublic(newRoomId, true);
      await deps.directory.setPublic(roomId, false);
    }

    // 5. The tombstone.
    await appender.append({
      roomId, type: "m.room.tombstone", sender: userId, stateKey: "",
      content: { body: "This room has been replaced", replacement_room: newRoomId },
    });

    // 6. The old room: sending and inviting need max(50, users_default + 1) from now on.
    if (oldPowerLevels) {
      const restricted = Math.max(50, (level(oldPowerLevels.users_default) ?? 0) + 1);
      const content: JsonObject = { ...oldPowerLevels };
      let changed = false;
      for (const key of ["events_default", "invite"]) {
        if ((level(content[key]) ?? 0) < restricted) {
          content[key] = restricted;
          changed = true;
        }
      }
      if (changed) await appender.append({ roomId, type: "m.room.power_levels", sender: userId, stateKey: "", content }).catch(() => {});
    }
    return newRoomId;
  }

  return {
    upgrade(userId, roomId, request) {
      const key = JSON.stringify([roomId, userId]);
      const pending = inFlight.get(key);
      if (pending) return pending;
      const run = upgrade(userId, roomId, request.new_version, request.additional_creators ?? [])
        .then((replacement) => ({ replacement_room: replacement }))
        .finally(() => inFlight.delete(key));
      inFlight.set(key, run);
      return run;
    },
  };
}

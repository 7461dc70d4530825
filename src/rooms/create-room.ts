// POST /createRoom: the events of a new room, in the order the spec lists. Everything that can be
// checked without the room is checked before its create event exists.
// https://spec.matrix.org/v1.19/client-server-api/#post_matrixclientv3createroom
import type { Engine, RoomVersionRules } from "../engine/index.ts";
import { isUserId } from "../auth/user-id-checks.ts";
import { MatrixError } from "../protocol/matrix-error.ts";
import type { JsonObject } from "../protocol/signed-json.ts";
import type { EventAppender } from "./event-appender.ts";
import type { Membership } from "./membership.ts";
import type { RoomDirectory } from "./directory.ts";

export type Preset = "private_chat" | "trusted_private_chat" | "public_chat";

export interface CreateRoomRequest {
  visibility?: "public" | "private";
  room_alias_name?: string;
  name?: string;
  topic?: string;
  invite?: string[];
  room_version?: string;
  creation_content?: JsonObject;
  initial_state?: { type: string; state_key?: string; content: JsonObject }[];
  preset?: Preset;
  is_direct?: boolean;
  power_level_content_override?: JsonObject;
}

const PRESETS: Record<Preset, { join_rule: string; history_visibility: string; guest_access: string }> = {
  private_chat: { join_rule: "invite", history_visibility: "shared", guest_access: "can_join" },
  trusted_private_chat: { join_rule: "invite", history_visibility: "shared", guest_access: "can_join" },
  public_chat: { join_rule: "public", history_visibility: "shared", guest_access: "forbidden" },
};

/** Limit: users invited by one createRoom. */
const MAX_INVITES = 100;
/** Limit: events in initial_state. */
const MAX_INITIAL_STATE = 100;
/** The spec's size limit of a whole event, which its content alone must not reach. */
const MAX_CONTENT_BYTES = 65_536;

export interface RoomCreator {
  createRoom(creator: string, request: CreateRoomRequest): Promise<{ room_id: string; room_alias?: string }>;
}

export function createRoomCreator(deps: {
  engine: Engine;
  appender: EventAppender;
  membership: Pick<Membership, "memberContent" | "invite">;
  directory: Pick<RoomDirectory, "aliasFor" | "checkAliasFree" | "createAlias" | "setPublic">;
  defaultRoomVersion: string;
  serverName: string;
}): RoomCreator {
  return {
    async createRoom(creator, request) {
      const version = request.room_version ?? deps.defaultRoomVersion;
      const rules = deps.engine.roomVersions.get(version);
      if (!rules) throw new MatrixError(400, "M_UNSUPPORTED_ROOM_VERSION", `Room version ${JSON.stringify(version)} is not supported`);
      const preset = request.preset ?? (request.visibility === "public" ? "public_chat" : "private_chat");
      const invites = [...new Set(request.invite ?? [])].filter((user) => user !== creator);
      checkInvites(invites, deps.serverName);
      const initialState = request.initial_state ?? [];
      checkInitialState(initialState);
      checkJson(deps.engine, rules, request);
      const creationContent = creationContentOf(creator, rules, request.creation_content ?? {}, preset === "trusted_private_chat" ? invites : []);
      const powerLevels = powerLevelsOf(creator, rules, preset, invites, creationContent, request.power_level_content_override ?? {});
      const alias = request.room_alias_name === undefined ? null : deps.directory.aliasFor(request.room_alias_name);
      if (alias) await deps.directory.checkAliasFree(alias, creator);

      // 1. The create event.
      const { roomId } = await deps.appender.create(version, creator, creationContent);
      const send = (type: string, content: JsonObject, stateKey = "") => deps.appender.append({ roomId, type, sender: creator, content, stateKey });
      try {
        // 2. The creator joins.
        await send("m.room.member", await deps.membership.memberContent(creator, "join"), creator);
        // 3. Power levels.
        await send("m.room.power_levels", powerLevels);
        // 4. The canonical alias (a lost race for the alias answers M_ROOM_IN_USE).
        if (alias) {
          await deps.directory.createAlias(alias, roomId, creator);
          await send("m.room.canonical_alias", { alias });
        }
        // 5. The preset's state, unless initial_state sets the same.
        const given = new Set(initialState.map((e) => `${e.type}\u0000${e.state_key ?? ""}`));
        const p = PRESETS[preset];
        const presetEvents: [string, JsonObject][] = [
          ["m.room.join_rules", { join_rule: p.join_rule }],
          ["m.room.history_visibility", { history_visibility: p.history_visibility }],
          ["m.room.guest_access", { guest_access: p.guest_access }],
        ];
        for (const [type, content] of presetEvents) if (!given.has(`${type}\u0000`)) await send(type, content);
        // 6. initial_state, in order.
        for (const event of initialState) await send(event.type, event.content, event.state_key ?? "");
        // 7. Name and topic.
        if (request.name !== undefined) await send("m.room.name", { name: request.name });
        if (request.topic !== undefined) {
          await send("m.room.topic", { topic: request.topic, "m.topic": [{ mimetype: "text/plain", body: request.topic }] });
        }
      } catch (error) {
        // The auth rules refused an event the request implies (e.g. the override took the creator's power away).
        if (error instanceof MatrixError && error.status === 403) throw new MatrixError(400, "M_INVALID_ROOM_STATE", error.message);
        throw error;
      }
      if (request.visibility === "public") await deps.directory.setPublic(roomId, true);
      // 8. Invites.
      for (const user of invites) await deps.membership.invite(roomId, creator, user, { isDirect: request.is_direct === true });
      return alias ? { room_id: roomId, room_alias: alias } : { room_id: roomId };
    },
  };
}

function checkInvites(invites: string[], serverName: string): void {
  if (invites.length > MAX_INVITES) throw new MatrixError(400, "M_INVALID_PARAM", `At most ${MAX_INVITES} invites`);
  for (const user of invites) {
    if (!isUserId(user)) throw new MatrixError(400, "M_INVALID_PARAM", `Invalid user id in invite: ${user}`);
    if (!user.endsWith(`:${serverName}`)) throw new MatrixError(403, "M_FORBIDDEN", `Inviting ${user} needs federation, which this server does not run yet`);
  }
}

function checkInitialState(initialState: NonNullable<CreateRoomRequest["initial_state"]>): void {
  if (initialState.length > MAX_INITIAL_STATE) throw new MatrixError(400, "M_INVALID_ROOM_STATE", `At most ${MAX_INITIAL_STATE} initial_state events`);
  for (const event of initialState) {
    // The create event is the server's; members join or are invited by their own endpoints.
    if (event.type === "m.room.create" || event.type === "m.room.member") {
      throw new MatrixError(400, "M_INVALID_ROOM_STATE", `${event.type} cannot be set in initial_state`);
    }
  }
}

/**
 * What would make an event of the room fail its format after the room exists: floats where the
 * version wants canonical JSON, content that alone exceeds the event size limit.
 */
function checkJson(engine: Engine, rules: RoomVersionRules, request: CreateRoomRequest): void {
  const contents = [request.creation_content ?? {}, request.power_level_content_override ?? {}, ...(request.initial_state ?? []).map((e) => e.content)];
  for (const content of contents) {
    let text: string;
    try {
      text = engine.canonicalJson(content);
    } catch (error) {
      if (rules.strict_canonical_json) throw new MatrixError(400, "M_BAD_JSON", `Not canonical JSON: ${(error as Error).message}`);
      continue;
    }
    if (Buffer.byteLength(text) > MAX_CONTENT_BYTES) throw new MatrixError(413, "M_TOO_LARGE", "An event of the room would be too large");
  }
}

/** The create event's content: the request's keys, with creator and room_version the server's. */
function creationContentOf(creator: string, rules: RoomVersionRules, requested: JsonObject, trustedInvites: string[]): JsonObject {
  const content: JsonObject = { ...requested, room_version: rules.id };
  delete content.creator;
  // Before v11 the create event names the creator; from v11 the sender is the creator.
  if (!rules.creator_is_create_sender) content.creator = creator;
  if (rules.privileged_creators) {
    const extra = content.additional_creators;
    if (extra !== undefined && (!Array.isArray(extra) || !extra.every((u) => typeof u === "string" && isUserId(u)))) {
      throw new MatrixError(400, "M_INVALID_PARAM", "additional_creators must be a list of user ids");
    }
    // trusted_private_chat: the invitees become creators too (v12+).
    if (trustedInvites.length > 0) content.additional_creators = [...new Set([...((extra as string[] | undefined) ?? []), ...trustedInvites])];
  }
  return content;
}

/** Synapse's default power levels, with the preset's and the request's changes. */
function powerLevelsOf(creator: string, rules: RoomVersionRules, preset: Preset, invites: string[], creation: JsonObject, override: JsonObject): JsonObject {
  const users: JsonObject = {};
  // Before v12 the creator (and trusted invitees) get 100; from v12 creators stand above power levels.
  if (!rules.privileged_creators) {
    users[creator] = 100;
    if (preset === "trusted_private_chat") for (const user of invites) users[user] = 100;
  }
  const content: JsonObject = {
    users, users_default: 0,
    events: {
      "m.room.name": 50, "m.room.power_levels": 100, "m.room.history_visibility": 100, "m.room.canonical_alias": 50,
      "m.room.avatar": 50, "m.room.tombstone": rules.privileged_creators ? 150 : 100, "m.room.server_acl": 100, "m.room.encryption": 100,
    },
    events_default: 0, state_default: 50, ban: 50, kick: 50, redact: 50, invite: preset === "public_chat" ? 50 : 0, historical: 100,
    ...override,
  };
  checkPowerLevels(content);
  if (rules.privileged_creators) {
    const creators = new Set([creator, ...((creation.additional_creators as string[] | undefined) ?? [])]);
    const listed = Object.keys(content.users as JsonObject).filter((user) => creators.has(user));
    if (listed.length > 0) throw new MatrixError(400, "M_INVALID_PARAM", `Room creators cannot be given a power level: ${listed.join(", ")}`);
  }
  return content;
}

/** Levels are integers, users and events maps of them (the auth rules of v10+ require it; older rooms get the same). */
function checkPowerLevels(content: JsonObject): void {
  const isLevel = (value: unknown) => Number.isSafeInteger(value);
  for (const key of ["users_default", "events_default", "state_default", "ban", "kick", "redact", "invite", "historical"]) {
    if (content[key] !== undefined && !isLevel(content[key])) throw new MatrixError(400, "M_BAD_JSON", `power levels: ${key} must be an integer`);
  }
  for (const key of ["users", "events", "notifications"]) {
    const map = content[key];
    if (map === undefined && key === "notifications") continue;
    if (typeof map !== "object" || map === null || Array.isArray(map) || !Object.values(map).every(isLevel)) {
      throw new MatrixError(400, "M_BAD_JSON", `power levels: ${key} must map to integers`);
    }
  }
  for (const user of Object.keys(content.users as JsonObject)) {
    if (!isUserId(user)) throw new MatrixError(400, "M_BAD_JSON", `power levels: ${user} is not a user id`);
  }
}

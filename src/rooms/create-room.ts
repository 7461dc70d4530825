// POST /createRoom: the events of a new room, in the order the spec lists.
// https://spec.matrix.org/v1.19/client-server-api/#post_matrixclientv3createroom
import type { Engine } from "../engine/index.ts";
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

export interface RoomCreator {
  createRoom(creator: string, request: CreateRoomRequest): Promise<{ room_id: string; room_alias?: string }>;
}

export function createRoomCreator(deps: {
  engine: Engine;
  appender: EventAppender;
  membership: Pick<Membership, "memberContent" | "invite">;
  directory: Pick<RoomDirectory, "aliasFor" | "checkAliasFree" | "createAlias" | "setPublic">;
  defaultRoomVersion: string;
}): RoomCreator {
  return {
    async createRoom(creator, request) {
      const version = request.room_version ?? deps.defaultRoomVersion;
      const rules = deps.engine.roomVersions.get(version);
      if (!rules) throw new MatrixError(400, "M_UNSUPPORTED_ROOM_VERSION", `Room version ${JSON.stringify(version)} is not supported`);
      const preset = request.preset ?? (request.visibility === "public" ? "public_chat" : "private_chat");
      const invites = request.invite ?? [];
      if (invites.length > MAX_INVITES) throw new MatrixError(400, "M_INVALID_PARAM", `At most ${MAX_INVITES} invites`);
      for (const user of invites) if (!isUserId(user)) throw new MatrixError(400, "M_INVALID_PARAM", `Invalid user id in invite: ${user}`);
      const initialState = request.initial_state ?? [];
      if (initialState.length > MAX_INITIAL_STATE) throw new MatrixError(400, "M_INVALID_ROOM_STATE", `At most ${MAX_INITIAL_STATE} initial_state events`);
      for (const event of initialState) {
        if (event.type === "m.room.create" || event.type === "m.room.member") {
          throw new MatrixError(400, "M_INVALID_ROOM_STATE", `${event.type} cannot be set in initial_state`);
        }
      }

      // Room versions 12+: creators have unlimited power and may not be listed in power levels.
      const trusted = preset === "trusted_private_chat";
      const creationContent: JsonObject = { ...(request.creation_content ?? {}), room_version: version };
      if (rules.privileged_creators) {
        const extra = creationContent.additional_creators;
        if (extra !== undefined && (!Array.isArray(extra) || !extra.every((u) => typeof u === "string" && isUserId(u)))) {
          throw new MatrixError(400, "M_INVALID_PARAM", "additional_creators must be a list of user ids");
        }
        if (trusted && invites.length > 0) creationContent.additional_creators = [...new Set([...((extra as string[] | undefined) ?? []), ...invites])];
      } else if (!rules.creator_is_create_sender) {
        creationContent.creator = creator;
      } else {
        delete creationContent.creator;
      }

      const alias = request.room_alias_name === undefined ? null : deps.directory.aliasFor(request.room_alias_name);
      if (alias) await deps.directory.checkAliasFree(alias);
      {
        const create = await deps.appender.create(version, creator, creationContent);
        const roomId = create.roomId;
        const send = (type: string, content: JsonObject, stateKey = "") => deps.appender.append({ roomId, type, sender: creator, content, stateKey });
        const creators = rules.privileged_creators ? new Set([creator, ...((creationContent.additional_creators as string[] | undefined) ?? [])]) : new Set<string>();

        // 2. The creator joins.
        await send("m.room.member", await deps.membership.memberContent(creator, "join"), creator);

        // 3. Power levels: Synapse's defaults, then the override.
        const users: JsonObject = {};
        if (!rules.privileged_creators) users[creator] = 100;
        if (trusted && !rules.privileged_creators) for (const user of invites) users[user] = 100;
        const powerLevels: JsonObject = {
          users, users_default: 0,
          events: {
            "m.room.name": 50, "m.room.power_levels": 100, "m.room.history_visibility": 100, "m.room.canonical_alias": 50,
            "m.room.avatar": 50, "m.room.tombstone": rules.privileged_creators ? 150 : 100, "m.room.server_acl": 100, "m.room.encryption": 100,
          },
          events_default: 0, state_default: 50, ban: 50, kick: 50, redact: 50, invite: preset === "public_chat" ? 50 : 0, historical: 100,
          ...(request.power_level_content_override ?? {}),
        };
        if (rules.privileged_creators) {
          const listed = Object.keys((powerLevels.users as JsonObject | undefined) ?? {}).filter((user) => creators.has(user));
          if (listed.length > 0) throw new MatrixError(400, "M_INVALID_PARAM", `Room creators cannot be given a power level: ${listed.join(", ")}`);
        }
        await send("m.room.power_levels", powerLevels);

        // 4. The canonical alias (a lost race for the alias leaves the room without it: M_ROOM_IN_USE).
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

        if (request.visibility === "public") await deps.directory.setPublic(roomId, true);

        // 8. Invites.
        for (const user of invites) await deps.membership.invite(roomId, creator, user, { isDirect: request.is_direct === true });
        return alias ? { room_id: roomId, room_alias: alias } : { room_id: roomId };
      }
    },
  };
}

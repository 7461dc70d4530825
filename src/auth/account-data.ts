// Account data: per-user JSON documents by type, global or per room, each write taking a new
// position in the account data stream (for sync).
// https://spec.matrix.org/v1.19/client-server-api/#client-config
// https://spec.matrix.org/v1.19/client-server-api/#ignoring-users
import { forbidden, MatrixError, notFound } from "../protocol/matrix-error.ts";
import { GLOBAL_ACCOUNT_DATA, type AccountDataRepo } from "../storage/repos/account-data.ts";
import { isUserId } from "./user-id-checks.ts";

/** Types the server manages: clients may read but not set them (405 M_BAD_JSON). */
const SERVER_MANAGED = new Set(["m.fully_read", "m.push_rules"]);
/** Spec limit: event types, in bytes. */
const MAX_TYPE_BYTES = 255;
/** Spec limit: room ids, in bytes. */
const MAX_ROOM_ID_BYTES = 255;

const byteLength = (text: string) => new TextEncoder().encode(text).length;

/**
 * Called after each write with its stream position: sync's notifier fills it to wake the user's
 * long-polling /sync requests. Defaults to nothing.
 */
export type AccountDataChanged = (userId: string, position: number) => void;

export interface AccountDataDeps {
  repo: AccountDataRepo;
  changed?: AccountDataChanged;
}

/** The content of m.ignored_user_list: {ignored_users: {"@user:server": {}}}. */
function checkIgnoredUserList(content: Record<string, unknown>): void {
  const users = content.ignored_users;
  if (typeof users !== "object" || users === null || Array.isArray(users)) {
    throw new MatrixError(400, "M_BAD_JSON", "m.ignored_user_list needs an ignored_users object");
  }
  for (const [userId, value] of Object.entries(users)) {
    if (!isUserId(userId)) throw new MatrixError(400, "M_BAD_JSON", `ignored_users: ${JSON.stringify(userId)} is not a user id`);
    if (typeof value !== "object" || value === null || Array.isArray(value)) {
      throw new MatrixError(400, "M_BAD_JSON", `ignored_users.${userId}: must be an object`);
    }
  }
}

function checkTarget(requesterId: string, userId: string, roomId: string | null, type: string): string {
  if (requesterId !== userId) throw forbidden("Cannot access account data of other users");
  if (roomId !== null && (!roomId.startsWith("!") || byteLength(roomId) > MAX_ROOM_ID_BYTES)) {
    throw new MatrixError(400, "M_INVALID_PARAM", `${roomId} is not a valid room ID`);
  }
  if (type.length === 0 || byteLength(type) > MAX_TYPE_BYTES) throw new MatrixError(400, "M_INVALID_PARAM", "Invalid account data type");
  return roomId ?? GLOBAL_ACCOUNT_DATA;
}

export function createAccountData(deps: AccountDataDeps) {
  const { repo } = deps;
  return {
    /** PUT /user/{userId}[/rooms/{roomId}]/account_data/{type}; `roomId` null for global data. */
    async put(requesterId: string, userId: string, roomId: string | null, type: string, content: Record<string, unknown>): Promise<void> {
      const room = checkTarget(requesterId, userId, roomId, type);
      if (SERVER_MANAGED.has(type)) throw new MatrixError(405, "M_BAD_JSON", `Cannot set ${type} through this API`);
      if (type === "m.ignored_user_list" && roomId === null) checkIgnoredUserList(content);
      const position = await repo.put(userId, room, type, content);
      deps.changed?.(userId, position);
    },

    /** GET /user/{userId}[/rooms/{roomId}]/account_data/{type} */
    async get(requesterId: string, userId: string, roomId: string | null, type: string): Promise<Record<string, unknown>> {
      const content = await repo.get(userId, checkTarget(requesterId, userId, roomId, type), type);
      if (content === null) throw notFound("Account data not found");
      return content;
    },

    /** Server-side writes (m.fully_read from read markers, m.push_rules, m.direct on invites...). */
    async putAsServer(userId: string, roomId: string | null, type: string, content: Record<string, unknown>): Promise<number> {
      const position = await repo.put(userId, roomId ?? GLOBAL_ACCOUNT_DATA, type, content);
      deps.changed?.(userId, position);
      return position;
    },

    /** Deletes all of a user's account data (deactivation with erase). */
    async erase(userId: string): Promise<void> {
      await repo.deleteAll(userId);
    },
  };
}

export type AccountData = ReturnType<typeof createAccountData>;

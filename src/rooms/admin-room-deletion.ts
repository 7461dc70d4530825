// Synapse's Delete Room API: shut a room down (block it, move or remove its local members and
// aliases, take it out of the public directory), then purge it. v1 answers when done; v2 runs
// it in the background and keeps its status in memory.
// shared/reference/synapse-admin-api/rooms.md#delete-room-api
import { randomBytes } from "node:crypto";
import { checkLocalUser } from "../auth/admin-users.ts";
import { MatrixError, notFound } from "../protocol/matrix-error.ts";
import type { EventsRepo } from "../storage/repos/events.ts";
import type { RoomDirectoryRepo } from "../storage/repos/room-directory.ts";
import type { Moderation } from "./admin-moderation.ts";
import type { RoomCreator } from "./create-room.ts";
import type { EventAppender } from "./event-appender.ts";
import type { Membership } from "./membership.ts";
import type { RoomHeads } from "./room-heads.ts";
import type { RoomPurge } from "./room-purge.ts";

/** The body of DELETE /_synapse/admin/v1|v2/rooms/{roomId}. */
export interface DeleteRoomRequest {
  new_room_user_id?: string;
  room_name?: string;
  message?: string;
  block?: boolean;
  purge?: boolean;
  force_purge?: boolean;
}

export interface ShutdownResult {
  kicked_users: string[];
  failed_to_kick_users: string[];
  local_aliases: string[];
  new_room_id: string | null;
}

interface DeleteTask {
  delete_id: string;
  room_id: string;
  status: "active" | "complete" | "failed";
  error?: string;
  shutdown_room: ShutdownResult;
  finishedTs?: number;
}

const DEFAULT_ROOM_NAME = "Content Violation Notification";
const DEFAULT_MESSAGE = "Sharing illegal content on this server is not permitted and rooms in violation will be blocked.";
/** Synapse keeps the status of a finished v2 deletion 24 hours (or until restart). */
const TASK_RETENTION_MS = 24 * 60 * 60 * 1000;
/** Limit: v2 deletion statuses kept in memory; past it the oldest finished ones are dropped. */
const MAX_DELETE_TASKS = 1_000;

const emptyResult = (): ShutdownResult => ({ kicked_users: [], failed_to_kick_users: [], local_aliases: [], new_room_id: null });

export function createAdminRoomDeletion(deps: {
  serverName: string;
  heads: Pick<RoomHeads, "get">;
  events: Pick<EventsRepo, "membersOf">;
  appender: Pick<EventAppender, "append">;
  membership: Pick<Membership, "leave" | "join">;
  creator: RoomCreator;
  directory: Pick<RoomDirectoryRepo, "aliasesOf" | "moveAliases" | "deleteAlias" | "setPublic">;
  moderation: Pick<Moderation, "setBlocked">;
  purge: RoomPurge;
  now?: () => number;
}) {
  const now = deps.now ?? Date.now;
  const tasks = new Map<string, DeleteTask>();
  /** One deletion per room at a time: a second v1 request waits for the first. */
  const running = new Map<string, Promise<unknown>>();

  function checkRequest(roomId: string, request: DeleteRoomRequest): void {
    if (!roomId.startsWith("!") || !roomId.includes(":")) throw new MatrixError(400, "M_INVALID_PARAM", `${roomId} is not a legal room ID`);
    if (request.new_room_user_id !== undefined) checkLocalUser(request.new_room_user_id, deps.serverName, `User must be our own: ${request.new_room_user_id}`);
  }

  const localMembers = async (roomId: string, membership: string) =>
    (await deps.events.membersOf(roomId, membership)).filter((userId) => userId.endsWith(`:${deps.serverName}`));

  /** Steps as Synapse's shutdown_room: block, new room, unpublish, members out (and into the new room), aliases; `result` fills as it goes. */
  async function shutdown(admin: string, roomId: string, request: DeleteRoomRequest, result: ShutdownResult): Promise<void> {
    if (request.block) await deps.moderation.setBlocked(roomId, admin, true);
    if (!(await deps.heads.get(roomId))) return;
    const mover = request.new_room_user_id;
    if (mover) {
      const created = await deps.creator.createRoom(mover, {
        preset: "public_chat", name: request.room_name ?? DEFAULT_ROOM_NAME, power_level_content_override: { users_default: -10 },
      });
      result.new_room_id = created.room_id;
      await deps.appender.append({ roomId: created.room_id, type: "m.room.message", sender: mover, content: { msgtype: "m.text", body: request.message ?? DEFAULT_MESSAGE } });
    }
    await deps.directory.setPublic(roomId, false);
    const members = [...new Set([...(await localMembers(roomId, "join")), ...(await localMembers(roomId, "invite")), ...(await localMembers(roomId, "knock"))])];
    for (const userId of members.sort()) {
      try {
        // The user's own leave (rejecting an invite, rescinding a knock), as Synapse does it.
        await deps.membership.leave(roomId, userId, {});
        if (result.new_room_id && userId !== mover) await deps.membership.join(result.new_room_id, userId);
        result.kicked_users.push(userId);
      } catch {
        result.failed_to_kick_users.push(userId);
      }
    }
    result.local_aliases = await deps.directory.aliasesOf(roomId);
    if (result.new_room_id) await deps.directory.moveAliases(roomId, result.new_room_id);
    else for (const alias of result.local_aliases) await deps.directory.deleteAlias(alias);
  }

  async function run(admin: string, roomId: string, request: DeleteRoomRequest, result: ShutdownResult): Promise<void> {
    const previous = running.get(roomId);
    const work = (async () => {
      await previous?.catch(() => {});
      await shutdown(admin, roomId, request, result);
      if (request.purge === false || !(await deps.heads.get(roomId))) return;
      if (!request.force_purge && (await localMembers(roomId, "join")).length > 0) {
        throw new MatrixError(400, "M_UNKNOWN", "Cannot purge room: local users still in room");
      }
      await deps.purge.purge(roomId);
    })();
    running.set(roomId, work);
    try {
      await work;
    } finally {
      if (running.get(roomId) === work) running.delete(roomId);
    }
  }

  function prune(): void {
    const cutoff = now() - TASK_RETENTION_MS;
    for (const [id, task] of tasks) if (task.finishedTs !== undefined && task.finishedTs < cutoff) tasks.delete(id);
    for (const [id, task] of tasks) {
      if (tasks.size < MAX_DELETE_TASKS) break;
      if (task.finishedTs !== undefined) tasks.delete(id);
    }
  }

  const publicTask = ({ finishedTs: _, ...task }: DeleteTask) => task;

  return {
    /** DELETE /_synapse/admin/v1/rooms/{roomId}: an unknown room can only be blocked. */
    async deleteNow(admin: string, roomId: string, request: DeleteRoomRequest): Promise<ShutdownResult> {
      checkRequest(roomId, request);
      if (!request.block && !(await deps.heads.get(roomId))) throw new MatrixError(400, "M_UNKNOWN", `Unknown room id ${roomId}`);
      const result = emptyResult();
      await run(admin, roomId, request, result);
      return result;
    },

    /** DELETE /_synapse/admin/v2/rooms/{roomId}: starts the deletion and answers with its id. */
    async startDelete(admin: string, roomId: string, request: DeleteRoomRequest): Promise<{ delete_id: string }> {
      checkRequest(roomId, request);
      if (!(await deps.heads.get(roomId))) throw notFound(`Unknown room id ${roomId}`);
      if ([...tasks.values()].some((task) => task.room_id === roomId && task.status === "active")) {
        throw new MatrixError(400, "M_UNKNOWN", `History purge already in progress for ${roomId}`);
      }
      prune();
      const task: DeleteTask = { delete_id: randomBytes(12).toString("base64url"), room_id: roomId, status: "active", shutdown_room: emptyResult() };
      tasks.set(task.delete_id, task);
      run(admin, roomId, request, task.shutdown_room).then(
        () => (task.status = "complete"),
        (error: unknown) => {
          task.status = "failed";
          task.error = error instanceof MatrixError ? error.message : String(error);
        },
      ).finally(() => (task.finishedTs = now()));
      return { delete_id: task.delete_id };
    },

    /** GET /_synapse/admin/v2/rooms/{roomId}/delete_status */
    statusOfRoom(roomId: string): { results: ReturnType<typeof publicTask>[] } {
      const results = [...tasks.values()].filter((task) => task.room_id === roomId).map(publicTask);
      if (results.length === 0) throw notFound(`No delete task for room_id '${roomId}' found`);
      return { results };
    },

    /** GET /_synapse/admin/v2/rooms/delete_status/{deleteId} */
    status(deleteId: string) {
      const task = tasks.get(deleteId);
      if (!task) throw notFound(`delete id '${deleteId}' not found`);
      return publicTask(task);
    },

    /** Resolves once no deletion runs (tests, shutdown). */
    idle: () => Promise.allSettled([...running.values()]).then(() => {}),
  };
}

export type AdminRoomDeletion = ReturnType<typeof createAdminRoomDeletion>;

// Blocked rooms and suspended accounts, kept in memory so that the membership and send paths
// check them without a query: both are short lists an admin curates, read once at startup and
// changed only through here (Synapse's admin API).
// Block: shared/reference/synapse-admin-api/rooms.md#block-room-api
// Suspension: https://spec.matrix.org/v1.19/client-server-api/#account-suspension
import type { AdminModerationRepo } from "../storage/repos/admin-moderation.ts";

/** What the rooms services ask before a local user joins, knocks, invites or sends. */
export interface RoomModeration {
  roomBlocked(roomId: string): boolean;
  userSuspended(userId: string): boolean;
}

export async function createModeration(deps: { repo: AdminModerationRepo; now?: () => number }) {
  const now = deps.now ?? Date.now;
  // Limit: none; every blocked room and suspended account is kept (lists admins curate by hand).
  const blocked = new Set(await deps.repo.blockedRooms());
  const suspended = new Set(await deps.repo.suspendedUsers());
  return {
    roomBlocked: (roomId: string) => blocked.has(roomId),
    userSuspended: (userId: string) => suspended.has(userId),

    /** GET /_synapse/admin/v1/rooms/{roomId}/block */
    async blockStatus(roomId: string): Promise<{ block: boolean; user_id?: string }> {
      const by = await deps.repo.blockedBy(roomId);
      return by === undefined ? { block: false } : { block: true, user_id: by };
    },

    async setBlocked(roomId: string, admin: string, block: boolean): Promise<void> {
      if (block) {
        await deps.repo.block(roomId, admin, now());
        blocked.add(roomId);
      } else {
        await deps.repo.unblock(roomId);
        blocked.delete(roomId);
      }
    },

    /** False when there is no such account. */
    async setSuspended(userId: string, value: boolean): Promise<boolean> {
      if (!(await deps.repo.setSuspended(userId, value))) return false;
      if (value) suspended.add(userId);
      else suspended.delete(userId);
      return true;
    },
  };
}

export type Moderation = Awaited<ReturnType<typeof createModeration>>;

// Synapse's media admin API for local media: quarantine (by id, room, user), protection, and
// deletion (by id, by age and size, by uploader). Quarantined media answers 404 to downloads
// and thumbnails (./repository.ts find); deletion removes rows and files.
// shared/reference/synapse-admin-api/media_admin_api.md
import { MatrixError, notFound } from "../protocol/matrix-error.ts";
import type { AdminMediaRepo } from "../storage/repos/admin-media.ts";
import type { MediaStore } from "./store.ts";
import { isMediaId } from "./store.ts";

/** Before this (ms), a before_ts is surely seconds, not milliseconds (Synapse's check, year 1970 as ms). */
const SMALLEST_MS_TIMESTAMP = 30_000_000_000;

export interface MediaDeletion {
  deleted_media: string[];
  total: number;
}

export function createAdminMedia(deps: { serverName: string; repo: AdminMediaRepo; store: Pick<MediaStore, "remove"> }) {
  const { serverName, repo } = deps;

  async function remove(mediaIds: readonly string[]): Promise<MediaDeletion> {
    const deleted = await repo.delete(mediaIds);
    for (const mediaId of deleted) await deps.store.remove(mediaId);
    return { deleted_media: deleted, total: deleted.length };
  }

  return {
    /** POST /_synapse/admin/v1/media/quarantine/{serverName}/{mediaId}: other servers' media is not cached here, so nothing to do. */
    async quarantine(admin: string, origin: string, mediaId: string): Promise<Record<string, never>> {
      if (origin === serverName && isMediaId(mediaId)) await repo.quarantine([mediaId], admin);
      return {};
    },

    /** POST /_synapse/admin/v1/media/unquarantine/{serverName}/{mediaId} */
    async unquarantine(origin: string, mediaId: string): Promise<Record<string, never>> {
      if (origin === serverName && isMediaId(mediaId)) await repo.unquarantine(mediaId);
      return {};
    },

    /** POST /_synapse/admin/v1/room/{roomId}/media/quarantine: the local media the room's events point at. */
    async quarantineRoom(admin: string, roomId: string): Promise<{ num_quarantined: number }> {
      return { num_quarantined: await repo.quarantine(await repo.inRoom(roomId, serverName), admin) };
    },

    /** POST /_synapse/admin/v1/user/{userId}/media/quarantine */
    async quarantineUser(admin: string, userId: string): Promise<{ num_quarantined: number }> {
      return { num_quarantined: await repo.quarantine(await repo.ofUser(userId), admin) };
    },

    /** POST /_synapse/admin/v1/media/protect|unprotect/{mediaId} */
    async setProtected(mediaId: string, value: boolean): Promise<Record<string, never>> {
      if (isMediaId(mediaId)) await repo.setProtected(mediaId, value);
      return {};
    },

    /** DELETE /_synapse/admin/v1/media/{serverName}/{mediaId} */
    async deleteOne(origin: string, mediaId: string): Promise<MediaDeletion> {
      if (origin !== serverName) throw new MatrixError(400, "M_UNKNOWN", "Can only delete local media");
      if (!isMediaId(mediaId) || !(await repo.exists(mediaId))) throw notFound("Unknown media");
      return remove([mediaId]);
    },

    /** POST /_synapse/admin/v1/media/delete?before_ts=: media last used before then, larger than size_gt, not protected. */
    async deleteOld(query: { beforeTs: number; sizeGt: number; keepProfiles: boolean; origin?: string }): Promise<MediaDeletion> {
      if (query.origin !== undefined && query.origin !== serverName) throw new MatrixError(400, "M_UNKNOWN", "Can only delete local media");
      if (query.beforeTs < SMALLEST_MS_TIMESTAMP) {
        throw new MatrixError(400, "M_INVALID_PARAM", "Query parameter before_ts you provided is from the year 1970. Double check that you are providing a timestamp in milliseconds.");
      }
      return remove(await repo.unusedSince(query.beforeTs, query.sizeGt, query.keepProfiles, serverName));
    },

    /** DELETE /_synapse/admin/v1/users/{userId}/media: the page the list with the same parameters shows. */
    deleteMany: (mediaIds: readonly string[]) => remove(mediaIds),
  };
}

export type AdminMedia = ReturnType<typeof createAdminMedia>;

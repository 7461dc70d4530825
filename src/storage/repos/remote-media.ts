// The remote_media and remote_media_thumbnails tables (schema/remote-media.ts).
import { and, eq } from "drizzle-orm";
import type { Db } from "../db.ts";
import { remoteMedia, remoteMediaThumbnails } from "../schema/remote-media.ts";

export type RemoteMediaRow = typeof remoteMedia.$inferSelect;
export type RemoteThumbnailRow = typeof remoteMediaThumbnails.$inferSelect;
export interface RemoteThumbnailKey { serverName: string; mediaId: string; width: number; height: number; method: string }

export function createRemoteMediaRepo(db: Db) {
  return {
    async get(serverName: string, mediaId: string): Promise<RemoteMediaRow | undefined> {
      const [row] = await db.select().from(remoteMedia).where(and(eq(remoteMedia.serverName, serverName), eq(remoteMedia.mediaId, mediaId)));
      return row;
    },

    /** Records a fetched file (already in place); a concurrent fetch's row wins and is returned. */
    async insert(row: RemoteMediaRow): Promise<RemoteMediaRow> {
      const [inserted] = await db.insert(remoteMedia).values(row).onConflictDoNothing().returning();
      return inserted ?? (await this.get(row.serverName, row.mediaId))!;
    },

    /** Drops a row whose file is gone, so that the media is fetched again. */
    async remove(serverName: string, mediaId: string): Promise<void> {
      await db.delete(remoteMedia).where(and(eq(remoteMedia.serverName, serverName), eq(remoteMedia.mediaId, mediaId)));
    },

    async getThumbnail(key: RemoteThumbnailKey): Promise<RemoteThumbnailRow | undefined> {
      const t = remoteMediaThumbnails;
      const [row] = await db.select().from(t).where(and(
        eq(t.serverName, key.serverName), eq(t.mediaId, key.mediaId), eq(t.width, key.width), eq(t.height, key.height), eq(t.method, key.method),
      ));
      return row;
    },

    /** Records a fetched thumbnail; replaces an earlier row (whose file was gone). */
    async upsertThumbnail(row: RemoteThumbnailRow): Promise<void> {
      const t = remoteMediaThumbnails;
      await db.insert(t).values(row).onConflictDoUpdate({
        target: [t.serverName, t.mediaId, t.width, t.height, t.method],
        set: { filesystemId: row.filesystemId, contentType: row.contentType, size: row.size, fetchedTs: row.fetchedTs },
      });
    },
  };
}

export type RemoteMediaRepo = ReturnType<typeof createRemoteMediaRepo>;

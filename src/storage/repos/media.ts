// The local_media and local_media_thumbnails tables (schema/media.ts).
import { and, count, eq, gt, isNull, lt, or, sql } from "drizzle-orm";
import type { Db } from "../db.ts";
import { localMedia, localMediaThumbnails } from "../schema/media.ts";

export type LocalMediaRow = typeof localMedia.$inferSelect;
export type ThumbnailRow = typeof localMediaThumbnails.$inferSelect;

/** What an upload stores once its file is in place. */
export interface UploadedContent {
  contentType: string;
  uploadName: string | null;
  size: number;
  sha256: string;
  uploadedTs: number;
}

export function createMediaRepo(db: Db) {
  return {
    async get(mediaId: string): Promise<LocalMediaRow | undefined> {
      const [row] = await db.select().from(localMedia).where(eq(localMedia.mediaId, mediaId));
      return row;
    },

    /** A complete upload (POST /upload): called after its file was written. */
    async insertUploaded(row: { mediaId: string; userId: string; authenticated: boolean } & UploadedContent): Promise<void> {
      await db.insert(localMedia).values({ ...row, createdTs: row.uploadedTs });
    },

    /** An id handed out by POST /create, waiting for its content until `unusedExpiresAt`. */
    async insertPending(row: { mediaId: string; userId: string; createdTs: number; unusedExpiresAt: number; authenticated: boolean }): Promise<void> {
      await db.insert(localMedia).values(row);
    },

    /** The user's unexpired pending ids; expired ones are deleted on the way (they are dead). */
    async countPending(userId: string, now: number): Promise<number> {
      await db.delete(localMedia).where(and(eq(localMedia.userId, userId), isNull(localMedia.uploadedTs), lt(localMedia.unusedExpiresAt, now)));
      const [row] = await db
        .select({ n: count() })
        .from(localMedia)
        .where(and(eq(localMedia.userId, userId), isNull(localMedia.uploadedTs), gt(localMedia.unusedExpiresAt, now)));
      return row?.n ?? 0;
    },

    /** Fills a pending row once its file is in place; false if it was no longer pending or expired. */
    async completePending(mediaId: string, content: UploadedContent): Promise<boolean> {
      const rows = await db
        .update(localMedia)
        .set({ ...content, unusedExpiresAt: null })
        .where(and(eq(localMedia.mediaId, mediaId), isNull(localMedia.uploadedTs), gt(localMedia.unusedExpiresAt, content.uploadedTs)))
        .returning({ mediaId: localMedia.mediaId });
      return rows.length === 1;
    },

    /** Records an access unless one was recorded within `granularityMs` (one write per media per period). */
    async touch(mediaId: string, now: number, granularityMs: number): Promise<void> {
      await db
        .update(localMedia)
        .set({ lastAccessTs: now })
        .where(and(eq(localMedia.mediaId, mediaId), or(isNull(localMedia.lastAccessTs), lt(localMedia.lastAccessTs, now - granularityMs))));
    },

    async getThumbnail(key: { mediaId: string; width: number; height: number; method: string; contentType: string }): Promise<ThumbnailRow | undefined> {
      const [row] = await db
        .select()
        .from(localMediaThumbnails)
        .where(
          and(
            eq(localMediaThumbnails.mediaId, key.mediaId), eq(localMediaThumbnails.width, key.width), eq(localMediaThumbnails.height, key.height),
            eq(localMediaThumbnails.method, key.method), eq(localMediaThumbnails.contentType, key.contentType),
          ),
        );
      return row;
    },

    /** Called after the thumbnail's file was written; a concurrent twin wrote the same bytes. */
    async insertThumbnail(row: ThumbnailRow): Promise<void> {
      await db.insert(localMediaThumbnails).values(row).onConflictDoUpdate({
        target: [localMediaThumbnails.mediaId, localMediaThumbnails.width, localMediaThumbnails.height, localMediaThumbnails.method, localMediaThumbnails.contentType],
        set: { size: sql`excluded.size` },
      });
    },
  };
}

export type MediaRepo = ReturnType<typeof createMediaRepo>;

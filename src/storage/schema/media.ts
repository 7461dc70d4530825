// The local media repository: metadata of uploaded files and of the thumbnails made from them.
// The bytes live on disk under media_store_path (src/media/store.ts); a row exists only once
// its file does.
// https://spec.matrix.org/v1.19/client-server-api/#content-repository
import { sql } from "drizzle-orm";
import { bigint, boolean, index, integer, pgTable, primaryKey, text } from "drizzle-orm/pg-core";

export const localMedia = pgTable(
  "local_media",
  {
    /** The mxc://<server_name>/<media_id> path part: random [A-Za-z0-9], also names the file. */
    mediaId: text("media_id").primaryKey(),
    /** The uploader (for POST /create: the only user who may PUT the content). No foreign key: media outlives accounts. */
    userId: text("user_id").notNull(),
    /** Sanitised Content-Type of the upload; null while an async upload is pending. */
    contentType: text("content_type"),
    /** The `filename` query parameter of the upload, if any. */
    uploadName: text("upload_name"),
    /** Bytes; null while pending. */
    size: bigint("size", { mode: "number" }),
    /** Hex SHA-256 of the content; null while pending. */
    sha256: text("sha256"),
    /** When the id was handed out (ms). */
    createdTs: bigint("created_ts", { mode: "number" }).notNull(),
    /** When the content arrived (ms); null: created with POST /create and not uploaded yet. */
    uploadedTs: bigint("uploaded_ts", { mode: "number" }),
    /** Pending ids only: after this (ms) the id is dead (Synapse's unused_expires_at). */
    unusedExpiresAt: bigint("unused_expires_at", { mode: "number" }),
    /** Last download or thumbnail (ms), coarsely updated; for media retention. */
    lastAccessTs: bigint("last_access_ts", { mode: "number" }),
    /** Stored while enable_authenticated_media was on: frozen out of the legacy unauthenticated endpoints. */
    authenticated: boolean("authenticated").notNull(),
    /** The admin who quarantined it (admin API): downloads and thumbnails answer 404. */
    quarantinedBy: text("quarantined_by"),
    /** Protected by an admin: room and user quarantines pass it by (Synapse's safe_from_quarantine). */
    safeFromQuarantine: boolean("safe_from_quarantine").notNull().default(false),
  },
  // Counting a user's pending uploads (max_pending_media_uploads) on each POST /create.
  (t) => [index("local_media_pending").on(t.userId, t.unusedExpiresAt).where(sql`uploaded_ts IS NULL`)],
);

/** Thumbnails made on demand and kept, keyed by the configured size they answer. */
export const localMediaThumbnails = pgTable(
  "local_media_thumbnails",
  {
    mediaId: text("media_id")
      .notNull()
      .references(() => localMedia.mediaId, { onDelete: "cascade" }),
    /** The size asked of the thumbnailer (a thumbnail_sizes entry, fitted for scale). */
    width: integer("width").notNull(),
    height: integer("height").notNull(),
    /** crop or scale. */
    method: text("method").notNull(),
    /** image/jpeg or image/png. */
    contentType: text("content_type").notNull(),
    size: bigint("size", { mode: "number" }).notNull(),
    createdTs: bigint("created_ts", { mode: "number" }).notNull(),
  },
  (t) => [primaryKey({ columns: [t.mediaId, t.width, t.height, t.method, t.contentType] })],
);

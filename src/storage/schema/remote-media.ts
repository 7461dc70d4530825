// Other servers' media cached here: fetched over federation on a client's first request, kept
// on disk under media_store_path/remote_content/<server>/ (src/media/remote.ts) and served
// like local media afterwards. A row exists only once its file does.
// https://spec.matrix.org/v1.19/client-server-api/#retrieving-content-from-other-servers
import { bigint, boolean, integer, pgTable, primaryKey, text } from "drizzle-orm/pg-core";

export const remoteMedia = pgTable(
  "remote_media",
  {
    /** The server of the mxc URI. */
    serverName: text("server_name").notNull(),
    /** The mxc URI's media id as that server chose it (opaque; never a path). */
    mediaId: text("media_id").notNull(),
    /** Our own random id naming the file on disk (Synapse's filesystem_id). */
    filesystemId: text("filesystem_id").notNull(),
    /** Sanitised Content-Type of the remote's answer. */
    contentType: text("content_type").notNull(),
    /** The file name from the remote's Content-Disposition, if any. */
    uploadName: text("upload_name"),
    size: bigint("size", { mode: "number" }).notNull(),
    sha256: text("sha256").notNull(),
    fetchedTs: bigint("fetched_ts", { mode: "number" }).notNull(),
    /** Fetched while enable_authenticated_media was on: not served by the legacy unauthenticated endpoints. */
    authenticated: boolean("authenticated").notNull(),
    /** Quarantined by an admin: answers 404 (room for the admin API; nothing sets it yet). */
    quarantinedBy: text("quarantined_by"),
  },
  (t) => [primaryKey({ columns: [t.serverName, t.mediaId] })],
);

/** Thumbnails asked of the remote's thumbnail endpoint, one per requested size and method. */
export const remoteMediaThumbnails = pgTable(
  "remote_media_thumbnails",
  {
    serverName: text("server_name").notNull(),
    mediaId: text("media_id").notNull(),
    /** The size and method the client asked for (the remote chose what to answer). */
    width: integer("width").notNull(),
    height: integer("height").notNull(),
    method: text("method").notNull(),
    filesystemId: text("filesystem_id").notNull(),
    contentType: text("content_type").notNull(),
    size: bigint("size", { mode: "number" }).notNull(),
    fetchedTs: bigint("fetched_ts", { mode: "number" }).notNull(),
  },
  (t) => [primaryKey({ columns: [t.serverName, t.mediaId, t.width, t.height, t.method] })],
);

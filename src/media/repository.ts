// Uploads (plain and asynchronous) and finding media to serve.
// https://spec.matrix.org/v1.19/client-server-api/#post_matrixmediav3upload
// https://spec.matrix.org/v1.19/client-server-api/#post_matrixmediav1create
// https://spec.matrix.org/v1.19/client-server-api/#put_matrixmediav3uploadservernamemediaid
// https://spec.matrix.org/v1.19/client-server-api/#get_matrixclientv1mediadownloadservernamemediaid
import { rm } from "node:fs/promises";
import type { Logger } from "../log/logger.ts";
import { MatrixError, forbidden } from "../protocol/matrix-error.ts";
import type { MediaRepo } from "../storage/repos/media.ts";
import type { MediaConfig } from "./config.ts";
import { cannotOverwrite, mediaNotFound, notYetUploaded, tooLarge } from "./errors.ts";
import { sanitiseContentType, sanitiseFileName } from "./headers.ts";
import { isMediaId, newMediaId, type MediaStore } from "./store.ts";

/** Limit: longest wait for an async upload a download may ask for with timeout_ms (Synapse's cap too). */
export const MAX_WAIT_MS = 60_000;
/** Limit: last_access_ts is written at most once per media per this period (one write, not one per download). */
const LAST_ACCESS_GRANULARITY_MS = 10 * 60_000;

/** An upload as the endpoint received it. */
export interface IncomingUpload {
  body: ReadableStream<Uint8Array> | null;
  contentType: string | null;
  contentLength: string | null;
  fileName: string | null;
}

/** Media with content, ready to serve from `path` (local, or another server's cached here). */
export interface ServedMedia {
  mediaId: string;
  contentType: string;
  uploadName: string | null;
  size: number;
  path: string;
}

export interface MediaRepositoryDeps {
  repo: MediaRepo;
  store: MediaStore;
  config: MediaConfig;
  log: Logger;
  now: () => number;
  /** Other servers' media (./remote.ts); without it their mxc URIs answer 404. */
  remote?: { find(serverName: string, mediaId: string, options: { timeoutMs: number; legacy: boolean }): Promise<ServedMedia> };
}

export function createMediaRepository({ repo, store, config, log, now, remote }: MediaRepositoryDeps) {
  const mxc = (mediaId: string) => `mxc://${config.serverName}/${mediaId}`;
  /** Downloads waiting for an async upload, woken when it lands. */
  const waiters = new Map<string, Set<() => void>>();
  /** Async uploads in progress: a second PUT to the same id is refused rather than raced. */
  const uploading = new Set<string>();

  const checkDeclaredLength = (contentLength: string | null) => {
    if (contentLength !== null && Number(contentLength) > config.maxUploadSize) throw tooLarge(`Cannot upload files larger than ${config.maxUploadSize} bytes`);
  };
  const wake = (mediaId: string) => {
    for (const wakeUp of waiters.get(mediaId) ?? []) wakeUp();
    waiters.delete(mediaId);
  };
  /** Resolves when `mediaId` is uploaded or after `ms`, whichever is first. */
  const waitFor = (mediaId: string, ms: number) =>
    new Promise<void>((resolve) => {
      let set = waiters.get(mediaId);
      if (!set) waiters.set(mediaId, (set = new Set()));
      const done = () => (clearTimeout(timer), set!.delete(done), resolve());
      const timer = setTimeout(done, ms);
      set.add(done);
    });

  return {
    /** POST /upload: the content streams to disk, then its row is written. */
    async upload(userId: string, upload: IncomingUpload): Promise<{ content_uri: string }> {
      checkDeclaredLength(upload.contentLength);
      const mediaId = newMediaId();
      const received = await store.receive(upload.body, config.maxUploadSize);
      await received.place(store.contentPath(mediaId));
      await repo.insertUploaded({
        mediaId, userId, authenticated: config.enableAuthenticatedMedia, contentType: sanitiseContentType(upload.contentType),
        uploadName: sanitiseFileName(upload.fileName), size: received.file.size, sha256: received.file.sha256, uploadedTs: now(),
      });
      return { content_uri: mxc(mediaId) };
    },

    /** POST /create: an id whose content comes later, within unused_expiration_time. */
    async create(userId: string): Promise<{ content_uri: string; unused_expires_at: number }> {
      const at = now();
      if ((await repo.countPending(userId, at)) >= config.maxPendingUploads) {
        throw new MatrixError(429, "M_LIMIT_EXCEEDED", "Too many pending media uploads", { retry_after_ms: config.unusedExpirationMs });
      }
      const mediaId = newMediaId();
      const unusedExpiresAt = at + config.unusedExpirationMs;
      await repo.insertPending({ mediaId, userId, createdTs: at, unusedExpiresAt, authenticated: config.enableAuthenticatedMedia });
      return { content_uri: mxc(mediaId), unused_expires_at: unusedExpiresAt };
    },

    /** PUT /upload/{serverName}/{mediaId}: the content of an id from POST /create, by its creator, once. */
    async uploadTo(userId: string, serverName: string, mediaId: string, upload: IncomingUpload): Promise<Record<string, never>> {
      if (serverName !== config.serverName || !isMediaId(mediaId)) throw mediaNotFound();
      const row = await repo.get(mediaId);
      if (!row) throw mediaNotFound();
      if (row.userId !== userId) throw forbidden("You may not upload to this media id");
      if (row.uploadedTs !== null || uploading.has(mediaId)) throw cannotOverwrite();
      if (row.unusedExpiresAt === null || row.unusedExpiresAt <= now()) throw mediaNotFound();
      checkDeclaredLength(upload.contentLength);
      uploading.add(mediaId);
      try {
        const received = await store.receive(upload.body, config.maxUploadSize);
        const path = store.contentPath(mediaId);
        await received.place(path);
        const completed = await repo.completePending(mediaId, {
          contentType: sanitiseContentType(upload.contentType), uploadName: sanitiseFileName(upload.fileName),
          size: received.file.size, sha256: received.file.sha256, uploadedTs: now(),
        });
        if (!completed) {
          // It expired while the body streamed in.
          await rm(path, { force: true });
          throw mediaNotFound();
        }
      } finally {
        uploading.delete(mediaId);
      }
      wake(mediaId);
      return {};
    },

    /**
     * Local media to serve, waiting up to `timeoutMs` for an async upload still pending
     * (504 M_NOT_YET_UPLOADED after). Other servers' media comes from `remote`.
     * `legacy`: asked through the unauthenticated endpoints, which are frozen for media stored
     * while enable_authenticated_media was on.
     */
    async find(serverName: string, mediaId: string, options: { timeoutMs: number; legacy: boolean }): Promise<ServedMedia> {
      if (serverName !== config.serverName) {
        if (!remote) throw mediaNotFound();
        return remote.find(serverName, mediaId, options);
      }
      if (!isMediaId(mediaId)) throw mediaNotFound();
      const deadline = now() + Math.min(options.timeoutMs, MAX_WAIT_MS);
      for (;;) {
        const row = await repo.get(mediaId);
        // Quarantined by an admin: 404 as Synapse (shared/reference/synapse-admin-api/media_admin_api.md).
        if (!row || row.quarantinedBy !== null) throw mediaNotFound();
        if (options.legacy && row.authenticated && config.enableAuthenticatedMedia) throw mediaNotFound();
        if (row.uploadedTs !== null && row.contentType !== null && row.size !== null) {
          const at = now();
          if (row.lastAccessTs === null || row.lastAccessTs < at - LAST_ACCESS_GRANULARITY_MS) {
            repo.touch(mediaId, at, LAST_ACCESS_GRANULARITY_MS).catch((error) => log.warn("media access not recorded", { media_id: mediaId, error }));
          }
          return { mediaId, contentType: row.contentType, uploadName: row.uploadName, size: row.size, path: store.contentPath(mediaId) };
        }
        if (row.unusedExpiresAt === null || row.unusedExpiresAt <= now()) throw mediaNotFound();
        const left = deadline - now();
        if (left <= 0) throw notYetUploaded();
        await waitFor(mediaId, left);
      }
    },

    /** GET /media/config. */
    config: () => ({ "m.upload.size": config.maxUploadSize }),

    contentPath: (mediaId: string) => store.contentPath(mediaId),
  };
}

export type MediaRepository = ReturnType<typeof createMediaRepository>;

// Other servers' media for our clients: fetched once over federation (./remote-fetch.ts),
// kept under media_store_path/remote_content/<server>/ (thumbnails under remote_thumbnail/) with
// a row per file, then served from there like local media. Concurrent requests for the same
// media (or the same thumbnail size) share one fetch.
// https://spec.matrix.org/v1.19/client-server-api/#retrieving-content-from-other-servers
// Limits: thumbnails are what the remote's thumbnail endpoint answers, kept per requested
// width/height/method (Synapse downloads the original and thumbnails it itself). With
// enable_authenticated_media on, the legacy unauthenticated endpoints serve only media cached
// while it was off and fetch nothing (Synapse's rule); they get no remote thumbnails at all.
import { createHash } from "node:crypto";
import { join } from "node:path";
import type { RemoteMediaSource } from "./remote-source.ts";
import type { Logger } from "../log/logger.ts";
import { isServerName } from "../protocol/identifiers.ts";
import type { RemoteMediaRepo } from "../storage/repos/remote-media.ts";
import type { MediaConfig } from "./config.ts";
import { mediaNotFound } from "./errors.ts";
import { fetchRemoteMedia, REMOTE_FETCH_EXTRA_MS } from "./remote-fetch.ts";
import { MAX_WAIT_MS, type ServedMedia } from "./repository.ts";
import { newMediaId, type MediaStore } from "./store.ts";
import type { ThumbnailFile } from "./thumbnails.ts";
import type { ThumbnailSize } from "./thumbnail-sizes.ts";

/** The spec's media id grammar ([A-Za-z0-9_-]), bounded. */
const REMOTE_MEDIA_ID = /^[A-Za-z0-9_-]{1,255}$/;

export interface RemoteMediaDeps {
  repo: RemoteMediaRepo;
  client: RemoteMediaSource;
  store: Pick<MediaStore, "writeBytes">;
  config: MediaConfig;
  log: Logger;
  now: () => number;
}

export interface FetchOptions {
  timeoutMs: number;
  legacy: boolean;
}

export function createRemoteMedia({ repo, client, store, config, log, now }: RemoteMediaDeps) {
  const inFlight = new Map<string, Promise<unknown>>();
  /** One fetch per key at a time: later callers wait for the first one's outcome. */
  const shared = <T>(key: string, work: () => Promise<T>): Promise<T> => {
    let job = inFlight.get(key) as Promise<T> | undefined;
    if (!job) {
      job = work().finally(() => inFlight.delete(key));
      inFlight.set(key, job);
    }
    return job;
  };
  // Server names are checked by isServerName (host characters, ports, IPv6 brackets): safe as a folder name.
  const pathOf = (kind: string, serverName: string, filesystemId: string) =>
    join(config.storePath, kind, serverName, filesystemId.slice(0, 2), filesystemId.slice(2, 4), filesystemId.slice(4));
  const check = (serverName: string, mediaId: string) => {
    if (!isServerName(serverName) || serverName.includes("/") || !REMOTE_MEDIA_ID.test(mediaId)) throw mediaNotFound();
  };
  const fetchOptions = (timeoutMs: number) => {
    const wait = Math.min(timeoutMs, MAX_WAIT_MS);
    return { maxBytes: config.maxUploadSize, timeoutMs: wait + REMOTE_FETCH_EXTRA_MS, query: { timeout_ms: String(wait) } };
  };

  async function download(serverName: string, mediaId: string, timeoutMs: number): Promise<ServedMedia> {
    const fetched = await fetchRemoteMedia(client, serverName, `/_matrix/federation/v1/media/download/${encodeURIComponent(mediaId)}`, {
      ...fetchOptions(timeoutMs), thumbnail: false,
    });
    const filesystemId = newMediaId();
    await store.writeBytes(pathOf("remote_content", serverName, filesystemId), fetched.body);
    const row = await repo.insert({
      serverName, mediaId, filesystemId, contentType: fetched.contentType, uploadName: fetched.fileName, size: fetched.body.byteLength,
      sha256: createHash("sha256").update(fetched.body).digest("hex"), fetchedTs: now(), authenticated: config.enableAuthenticatedMedia, quarantinedBy: null,
    });
    log.info("fetched remote media", { server_name: serverName, media_id: mediaId, size: row.size });
    return { mediaId, contentType: row.contentType, uploadName: row.uploadName, size: row.size, path: pathOf("remote_content", serverName, row.filesystemId) };
  }

  return {
    /** The media at mxc://serverName/mediaId: from the cache, or fetched from its server first. */
    async find(serverName: string, mediaId: string, options: FetchOptions): Promise<ServedMedia> {
      check(serverName, mediaId);
      const row = await repo.get(serverName, mediaId);
      if (row) {
        if (row.quarantinedBy !== null || (options.legacy && row.authenticated && config.enableAuthenticatedMedia)) throw mediaNotFound();
        const file = pathOf("remote_content", serverName, row.filesystemId);
        if (await Bun.file(file).exists()) return { mediaId, contentType: row.contentType, uploadName: row.uploadName, size: row.size, path: file };
        // The file went (removed by hand): fetch it again.
        await repo.remove(serverName, mediaId);
      }
      if (options.legacy && config.enableAuthenticatedMedia) throw mediaNotFound();
      return shared(`media ${serverName}/${mediaId}`, () => download(serverName, mediaId, options.timeoutMs));
    },

    /** A thumbnail of that media at `wanted`, as the remote's thumbnail endpoint answers it (kept per size). */
    async thumbnail(serverName: string, mediaId: string, wanted: ThumbnailSize, options: FetchOptions): Promise<ThumbnailFile> {
      check(serverName, mediaId);
      if (options.legacy && config.enableAuthenticatedMedia) throw mediaNotFound();
      const key = { serverName, mediaId, width: wanted.width, height: wanted.height, method: wanted.method };
      const stored = await repo.getThumbnail(key);
      if (stored) {
        const file = pathOf("remote_thumbnail", serverName, stored.filesystemId);
        if (await Bun.file(file).exists()) return { path: file, contentType: stored.contentType, size: stored.size, original: false };
      }
      return shared(`thumbnail ${serverName}/${mediaId}/${wanted.width}/${wanted.height}/${wanted.method}`, async () => {
        const base = fetchOptions(options.timeoutMs);
        const query = { ...base.query, width: String(wanted.width), height: String(wanted.height), method: wanted.method };
        const fetched = await fetchRemoteMedia(client, serverName, `/_matrix/federation/v1/media/thumbnail/${encodeURIComponent(mediaId)}`, {
          ...base, query, thumbnail: true,
        });
        const filesystemId = newMediaId();
        const file = pathOf("remote_thumbnail", serverName, filesystemId);
        await store.writeBytes(file, fetched.body);
        await repo.upsertThumbnail({ ...key, filesystemId, contentType: fetched.contentType, size: fetched.body.byteLength, fetchedTs: now() });
        return { path: file, contentType: fetched.contentType, size: fetched.body.byteLength, original: false };
      });
    },
  };
}

export type RemoteMedia = ReturnType<typeof createRemoteMedia>;

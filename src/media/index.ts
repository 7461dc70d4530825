// The media repository: uploads, downloads and thumbnails over files in media_store_path, and
// other servers' media fetched over federation and cached there (./remote.ts).
import type { Config } from "../config/verify.ts";
import type { RemoteMediaSource } from "./remote-source.ts";
import type { Logger } from "../log/logger.ts";
import type { Db } from "../storage/db.ts";
import { createAdminMediaRepo } from "../storage/repos/admin-media.ts";
import { createMediaRepo } from "../storage/repos/media.ts";
import { createRemoteMediaRepo } from "../storage/repos/remote-media.ts";
import { createAdminMedia } from "./admin-media.ts";
import { mediaConfig } from "./config.ts";
import { createRemoteMedia, type FetchOptions } from "./remote.ts";
import { createMediaRepository } from "./repository.ts";
import { createMediaStore } from "./store.ts";
import { createThumbnailer, type ThumbnailFile } from "./thumbnails.ts";
import { createThumbnailWorker } from "./thumbnail-worker-client.ts";
import type { ThumbnailSize } from "./thumbnail-sizes.ts";

export function createMediaServices(options: {
  db: Db; config: Config; log: Logger; now?: () => number;
  /** Fetches other servers' media; without it their mxc URIs answer 404. */
  federation?: RemoteMediaSource;
}) {
  const config = mediaConfig(options.config);
  const deps = { repo: createMediaRepo(options.db), store: createMediaStore(config.storePath), config, log: options.log, now: options.now ?? Date.now };
  const worker = createThumbnailWorker();
  const remote = options.federation ? createRemoteMedia({ ...deps, repo: createRemoteMediaRepo(options.db), client: options.federation }) : undefined;
  const repository = createMediaRepository({ ...deps, remote });
  const thumbnailer = createThumbnailer({ ...deps, render: worker.render });
  return {
    repository,
    /** Synapse's media admin API (quarantine, protection, deletion). */
    admin: createAdminMedia({ serverName: config.serverName, repo: createAdminMediaRepo(options.db), store: deps.store }),
    thumbnailer,
    /** A thumbnail of mxc://serverName/mediaId: made here for local media, asked of its server for remote media. */
    async thumbnailOf(serverName: string, mediaId: string, wanted: ThumbnailSize, fetch: FetchOptions): Promise<ThumbnailFile> {
      if (serverName !== config.serverName && remote) return remote.thumbnail(serverName, mediaId, wanted, fetch);
      return thumbnailer.thumbnail(await repository.find(serverName, mediaId, fetch), wanted);
    },
    config,
    /** Stops the thumbnail worker (if it was started). */
    close: () => worker.terminate(),
  };
}

export type MediaServices = ReturnType<typeof createMediaServices>;

// The local media repository: uploads, downloads and thumbnails over files in media_store_path.
// Other servers' media is not fetched (no federation yet): their mxc URIs answer 404.
import type { Config } from "../config/verify.ts";
import type { Logger } from "../log/logger.ts";
import type { Db } from "../storage/db.ts";
import { createAdminMediaRepo } from "../storage/repos/admin-media.ts";
import { createMediaRepo } from "../storage/repos/media.ts";
import { createAdminMedia } from "./admin-media.ts";
import { mediaConfig } from "./config.ts";
import { createMediaRepository } from "./repository.ts";
import { createMediaStore } from "./store.ts";
import { createThumbnailer } from "./thumbnails.ts";
import { createThumbnailWorker } from "./thumbnail-worker-client.ts";

export function createMediaServices(options: { db: Db; config: Config; log: Logger; now?: () => number }) {
  const config = mediaConfig(options.config);
  const deps = { repo: createMediaRepo(options.db), store: createMediaStore(config.storePath), config, log: options.log, now: options.now ?? Date.now };
  const worker = createThumbnailWorker();
  return {
    repository: createMediaRepository(deps),
    /** Synapse's media admin API (quarantine, protection, deletion). */
    admin: createAdminMedia({ serverName: config.serverName, repo: createAdminMediaRepo(options.db), store: deps.store }),
    thumbnailer: createThumbnailer({ ...deps, render: worker.render }),
    config,
    /** Stops the thumbnail worker (if it was started). */
    close: () => worker.terminate(),
  };
}

export type MediaServices = ReturnType<typeof createMediaServices>;

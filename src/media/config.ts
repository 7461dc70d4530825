// The media options of the configuration, in the units the media code works with.
import { join, resolve } from "node:path";
import type { Config } from "../config/verify.ts";
import { parseDuration, parseSize } from "../config/units.ts";
import type { ThumbnailSize } from "./thumbnail-sizes.ts";

export interface MediaConfig {
  serverName: string;
  /** Absolute folder of the media files. */
  storePath: string;
  /** Bytes. */
  maxUploadSize: number;
  enableAuthenticatedMedia: boolean;
  maxPendingUploads: number;
  /** Milliseconds an id from POST /create waits for its content. */
  unusedExpirationMs: number;
  maxImagePixels: number;
  dynamicThumbnails: boolean;
  thumbnailSizes: readonly ThumbnailSize[];
}

export function mediaConfig(config: Config): MediaConfig {
  return {
    serverName: config.server_name,
    storePath: config.media_store_path ? resolve(config.data_directory, config.media_store_path) : join(config.data_directory, "media_store"),
    maxUploadSize: config.max_upload_size,
    enableAuthenticatedMedia: config.enable_authenticated_media,
    maxPendingUploads: config.max_pending_media_uploads,
    unusedExpirationMs: parseDuration(config.unused_expiration_time)!,
    maxImagePixels: parseSize(config.max_image_pixels)!,
    dynamicThumbnails: config.dynamic_thumbnails,
    thumbnailSizes: config.thumbnail_sizes,
  };
}

// Thumbnails of local JPEG and PNG images, made on first request and kept (file, then row).
// Other formats (GIF, WebP, SVG, video...) get 400 M_UNKNOWN, as Synapse answers when it has
// no thumbnail; an image no larger than the chosen size is served as it is (the spec).
// https://spec.matrix.org/v1.19/client-server-api/#get_matrixclientv1mediathumbnailservernamemediaid
import type { Logger } from "../log/logger.ts";
import type { MediaRepo } from "../storage/repos/media.ts";
import type { MediaConfig } from "./config.ts";
import { cannotThumbnail, tooLarge } from "./errors.ts";
import { essenceOf } from "./headers.ts";
import { imageDimensions, ImageError, type ImageType, type Region } from "./image.ts";
import { createJobQueue } from "./job-queue.ts";
import type { ServedMedia } from "./repository.ts";
import type { MediaStore } from "./store.ts";
import type { ThumbnailRender } from "./thumbnail-worker-client.ts";
import { candidateSizes, planThumbnail, selectSize, type ThumbnailSize } from "./thumbnail-sizes.ts";

const THUMBNAILABLE: ReadonlySet<string> = new Set<ImageType>(["image/jpeg", "image/png"]);
/** Limit: bytes read to find an image's dimensions; a JPEG whose frame header is later is read whole. */
const HEADER_BYTES = 256 * 1024;
/**
 * Limits: thumbnails are made one at a time (in a worker: ./thumbnail-worker-client.ts); at
 * most this many wait, more get 429 M_LIMIT_EXCEEDED.
 */
const THUMBNAIL_CONCURRENCY = 1;
const THUMBNAIL_QUEUE_LIMIT = 32;

/** What the thumbnail endpoint serves: a file on disk with its type and size. */
export interface ThumbnailFile {
  path: string;
  contentType: string;
  size: number;
  /** The original media is served (it is no larger than the thumbnail asked for). */
  original: boolean;
}

export interface ThumbnailerDeps {
  repo: MediaRepo;
  store: MediaStore;
  config: MediaConfig;
  log: Logger;
  now: () => number;
  /** Decodes, resamples and encodes (off the event loop: ./thumbnail-worker-client.ts). */
  render: ThumbnailRender;
}

export function createThumbnailer({ repo, store, config, log, now, render }: ThumbnailerDeps) {
  const queue = createJobQueue(THUMBNAIL_CONCURRENCY, THUMBNAIL_QUEUE_LIMIT);
  /** Thumbnails being made, so a burst of the same request decodes the image once. */
  const inFlight = new Map<string, Promise<number>>();

  async function dimensions(type: ImageType, path: string) {
    const file = Bun.file(path);
    let found = imageDimensions(type, await file.slice(0, HEADER_BYTES).bytes());
    if (!found && type === "image/jpeg" && file.size > HEADER_BYTES) found = imageDimensions(type, await file.bytes());
    if (!found) throw cannotThumbnail("The image is corrupt or not of its declared type");
    return found;
  }

  /** Decodes, resamples, encodes and stores one thumbnail; returns its size in bytes. */
  async function make(media: ServedMedia, type: ImageType, size: ThumbnailSize, region: { region: Region; width: number; height: number }, target: string) {
    const bytes = await Bun.file(media.path).bytes();
    let encoded: Uint8Array;
    try {
      encoded = await render({ type, bytes, maxPixels: config.maxImagePixels, region: region.region, width: region.width, height: region.height });
    } catch (error) {
      if (!(error instanceof ImageError)) throw error;
      log.info("thumbnail failed", { media_id: media.mediaId, error: error.message });
      throw cannotThumbnail("The image could not be decoded");
    }
    await store.writeBytes(target, encoded);
    await repo.insertThumbnail({ mediaId: media.mediaId, width: size.width, height: size.height, method: size.method, contentType: type, size: encoded.length, createdTs: now() });
    return encoded.length;
  }

  return {
    /** The thumbnail answering `wanted` (the closest configured size, or exactly it with dynamic_thumbnails). */
    async thumbnail(media: ServedMedia, wanted: ThumbnailSize): Promise<ThumbnailFile> {
      const type = essenceOf(media.contentType);
      if (!THUMBNAILABLE.has(type)) throw cannotThumbnail(`Cannot generate thumbnails for ${type} content`);
      const imageType = type as ImageType;
      const original = { path: media.path, contentType: media.contentType, size: media.size, original: true };
      const image = await dimensions(imageType, original.path);
      if (image.width * image.height > config.maxImagePixels) throw tooLarge("Image is too large to thumbnail");

      const candidates = config.dynamicThumbnails ? [wanted] : candidateSizes(image, config.thumbnailSizes);
      const chosen = selectSize(wanted, candidates) ?? wanted;
      const plan = planThumbnail(image, chosen);
      if (plan.original) return original;

      const key = { mediaId: media.mediaId, width: chosen.width, height: chosen.height, method: chosen.method, contentType: imageType };
      const path = store.thumbnailPath(media.mediaId, key);
      const stored = await repo.getThumbnail(key);
      // A stored thumbnail whose file is gone is made again.
      if (stored && (await Bun.file(path).exists())) return { path, contentType: imageType, size: stored.size, original: false };

      const flightKey = `${media.mediaId}/${chosen.width}/${chosen.height}/${chosen.method}`;
      let job = inFlight.get(flightKey);
      if (!job) {
        job = queue.run(() => make(media, imageType, chosen, plan, path)).finally(() => inFlight.delete(flightKey));
        inFlight.set(flightKey, job);
      }
      return { path, contentType: imageType, size: await job, original: false };
    },
  };
}

export type Thumbnailer = ReturnType<typeof createThumbnailer>;

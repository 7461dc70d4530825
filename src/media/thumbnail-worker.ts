// The worker side of ./thumbnail-worker-client.ts: decoding, resampling and encoding are
// synchronous JavaScript that would hold the server's event loop for as long as a large image
// takes, so they run here. One job at a time, in order.
import { decodeImage, encodeImage, ImageError, resample, type ImageType, type Region } from "./image.ts";

declare const self: Worker;

export interface ThumbnailJob {
  id: number;
  type: ImageType;
  bytes: Uint8Array;
  maxPixels: number;
  region: Region;
  width: number;
  height: number;
}

/** `imageError`: the image could not be decoded (the client's fault); `error`: anything else. */
export type ThumbnailReply = { id: number; bytes: Uint8Array } | { id: number; imageError: string } | { id: number; error: string };

self.onmessage = (message: MessageEvent<ThumbnailJob>) => {
  const job = message.data;
  try {
    const bytes = encodeImage(job.type, resample(decodeImage(job.type, job.bytes, job.maxPixels), job.region, job.width, job.height));
    self.postMessage({ id: job.id, bytes } satisfies ThumbnailReply, [bytes.buffer as ArrayBuffer]);
  } catch (error) {
    const text = error instanceof Error ? error.message : String(error);
    self.postMessage((error instanceof ImageError ? { id: job.id, imageError: text } : { id: job.id, error: text }) satisfies ThumbnailReply);
  }
};

// Serving our media to other servers: multipart/mixed with the metadata part ({}) and the
// content itself (never a Location: the bytes are here). Quarantined media is 404, as locally;
// media stored under enable_authenticated_media is served too (servers ask for their users).
// https://spec.matrix.org/v1.19/server-server-api/#get_matrixfederationv1mediadownloadmediaid
// https://spec.matrix.org/v1.19/server-server-api/#get_matrixfederationv1mediathumbnailmediaid
import { mediaHeaders } from "./headers.ts";
import type { MediaServices } from "./index.ts";
import type { ThumbnailSize } from "./thumbnail-sizes.ts";
import { mediaNotFound } from "./errors.ts";
import { mediaMultipartFrame, newBoundary } from "../protocol/multipart.ts";

/** The file at `path` framed as the spec's two-part answer, streamed from disk. */
async function multipartResponse(path: string, contentType: string, fileName: string | null, size: number): Promise<Response> {
  const file = Bun.file(path);
  if (!(await file.exists())) throw mediaNotFound();
  const served = mediaHeaders(contentType, fileName, size);
  const boundary = newBoundary();
  const encoder = new TextEncoder();
  const frame = mediaMultipartFrame(boundary, { "Content-Type": served["Content-Type"]!, "Content-Disposition": served["Content-Disposition"]! });
  const head = encoder.encode(frame.head);
  const tail = encoder.encode(frame.tail);
  // (A Blob of [head, BunFile, tail] drops the file's bytes in Bun: stream the three instead.)
  // Pulled chunk by chunk, so a slow reader does not make the file pile up in memory.
  const reader = file.stream().getReader();
  const body = new ReadableStream<Uint8Array>({
    start: (controller) => controller.enqueue(head),
    async pull(controller) {
      const { done, value } = await reader.read();
      if (!done) return controller.enqueue(value);
      controller.enqueue(tail);
      controller.close();
    },
    cancel: (reason) => reader.cancel(reason),
  });
  return new Response(body, {
    status: 200,
    headers: { "Content-Type": `multipart/mixed; boundary=${boundary}`, "Content-Length": String(head.byteLength + size + tail.byteLength) },
  });
}

export function createFederationMedia(media: Pick<MediaServices, "repository" | "thumbnailer" | "config">) {
  const local = media.config.serverName;
  return {
    /** GET /_matrix/federation/v1/media/download/{mediaId}. */
    async download(mediaId: string, timeoutMs: number): Promise<Response> {
      const found = await media.repository.find(local, mediaId, { timeoutMs, legacy: false });
      return multipartResponse(found.path, found.contentType, found.uploadName, found.size);
    },
    /** GET /_matrix/federation/v1/media/thumbnail/{mediaId}. */
    async thumbnail(mediaId: string, wanted: ThumbnailSize, timeoutMs: number): Promise<Response> {
      const found = await media.repository.find(local, mediaId, { timeoutMs, legacy: false });
      const thumbnail = await media.thumbnailer.thumbnail(found, wanted);
      const name = `thumbnail.${thumbnail.contentType.includes("png") ? "png" : "jpg"}`;
      return multipartResponse(thumbnail.path, thumbnail.contentType, name, thumbnail.size);
    },
  };
}

export type FederationMedia = ReturnType<typeof createFederationMedia>;

// Fetching one piece of another server's media over federation: the signed GET, the
// multipart/mixed answer (or a Location to follow once), and the client errors as Synapse gives
// them: the remote's 404 is 404, content over max_upload_size is 502 M_TOO_LARGE, a server that
// cannot be reached or answers anything malformed is 502 M_UNKNOWN.
// https://spec.matrix.org/v1.19/server-server-api/#content-repository
// https://spec.matrix.org/v1.19/client-server-api/#retrieving-content-from-other-servers
import { MultipartError, parseMediaMultipart } from "../protocol/multipart.ts";
import { MatrixError } from "../protocol/matrix-error.ts";
import type { RemoteAnswer, RemoteMediaSource } from "./remote-source.ts";
import { cannotThumbnail, mediaNotFound, notYetUploaded } from "./errors.ts";
import { sanitiseContentType, sanitiseFileName } from "./headers.ts";

/** Limit: bytes allowed beyond max_upload_size for the multipart framing and part headers. */
export const MULTIPART_OVERHEAD_BYTES = 64 * 1024;
/** Limit: how long a fetch may take beyond the wait for an async upload the client allows. */
export const REMOTE_FETCH_EXTRA_MS = 30_000;

export interface FetchedMedia {
  contentType: string;
  fileName: string | null;
  body: Uint8Array;
}

const failed = () => new MatrixError(502, "M_UNKNOWN", "Failed to fetch remote media");
const tooLargeRemote = (limit: number) => new MatrixError(502, "M_TOO_LARGE", `Requested file is too large > ${limit} bytes`);

/** The file name of a Content-Disposition header (filename* first, as RFC 6266 says). */
export function fileNameOf(disposition: string | undefined | null): string | null {
  if (!disposition) return null;
  const extended = /;\s*filename\*\s*=\s*utf-8''([^;\s]+)/i.exec(disposition);
  if (extended) {
    try {
      return sanitiseFileName(decodeURIComponent(extended[1]!));
    } catch {
      return null;
    }
  }
  const plain = /;\s*filename\s*=\s*(?:"([^"]*)"|([^;\s]+))/i.exec(disposition);
  return sanitiseFileName(plain?.[1] ?? plain?.[2] ?? null);
}

/** The client's error for a remote's non-2xx answer. */
function refusal(answer: RemoteAnswer, thumbnail: boolean): MatrixError {
  let errcode: unknown;
  try {
    errcode = answer.body && (JSON.parse(new TextDecoder().decode(answer.body)) as { errcode?: unknown })?.errcode;
  } catch {
    errcode = undefined;
  }
  if (answer.status === 404) return mediaNotFound();
  if (answer.status === 504 && errcode === "M_NOT_YET_UPLOADED") return notYetUploaded();
  if (answer.status === 502 && errcode === "M_TOO_LARGE") return new MatrixError(502, "M_TOO_LARGE", "Remote media is too large");
  if (thumbnail && answer.status === 400) return cannotThumbnail();
  return failed();
}

/**
 * GET `path` of `destination` (a federation media endpoint) and the content it answers with.
 * Bodies over `maxBytes` (max_upload_size) are never read whole.
 */
export async function fetchRemoteMedia(
  client: RemoteMediaSource,
  destination: string,
  path: string,
  options: { query: Record<string, string>; maxBytes: number; timeoutMs: number; thumbnail: boolean },
): Promise<FetchedMedia> {
  const capped = options.maxBytes + MULTIPART_OVERHEAD_BYTES;
  let answer: RemoteAnswer;
  try {
    answer = await client.signedGet(destination, path, { query: options.query, maxBytes: capped, timeoutMs: options.timeoutMs });
  } catch {
    // The source threw: no answer came (./remote-source.ts).
    throw failed();
  }
  if (answer.status < 200 || answer.status >= 300) throw refusal(answer, options.thumbnail);
  if (answer.body === null) throw tooLargeRemote(options.maxBytes);
  let part;
  try {
    part = parseMediaMultipart(answer.headers.get("content-type"), answer.body);
  } catch (error) {
    if (error instanceof MultipartError) throw failed();
    throw error;
  }
  const location = part.headers.get("location");
  if (location !== undefined) {
    // The spec: the URL answers with the media and its Content-Type and Content-Disposition.
    let redirected: RemoteAnswer;
    try {
      redirected = await client.getUrl(location, { maxBytes: options.maxBytes, timeoutMs: options.timeoutMs });
    } catch {
      throw failed();
    }
    if (redirected.status < 200 || redirected.status >= 300) throw refusal(redirected, options.thumbnail);
    if (redirected.body === null) throw tooLargeRemote(options.maxBytes);
    return {
      contentType: sanitiseContentType(redirected.headers.get("content-type")),
      fileName: fileNameOf(redirected.headers.get("content-disposition")),
      body: redirected.body,
    };
  }
  if (part.body.byteLength > options.maxBytes) throw tooLargeRemote(options.maxBytes);
  return { contentType: sanitiseContentType(part.headers.get("content-type") ?? null), fileName: fileNameOf(part.headers.get("content-disposition")), body: part.body };
}

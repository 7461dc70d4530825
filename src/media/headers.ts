// Headers media is served with: the spec's CSP and CORP, a Content-Disposition that is
// `inline` only for the spec's safe types, and file names per RFC 6266 / RFC 5987.
// https://spec.matrix.org/v1.19/client-server-api/#serving-inline-content
import { mediaNotFound } from "./errors.ts";

const TOKEN = "[!#$%&'*+.^_`|~0-9A-Za-z-]+";
const MEDIA_TYPE = new RegExp(`^${TOKEN}/${TOKEN}$`);
const PARAMETER = new RegExp(`^${TOKEN}=(${TOKEN}|"[^"\\\\]*")$`);
/** Limit: longest Content-Type kept from an upload; longer is stored as application/octet-stream. */
const MAX_CONTENT_TYPE_LENGTH = 255;
export const DEFAULT_CONTENT_TYPE = "application/octet-stream";

/** The spec's types that are safe to serve `inline`. */
const INLINE_TYPES = new Set([
  "text/css", "text/plain", "text/csv", "application/json", "application/ld+json", "image/jpeg", "image/gif", "image/png",
  "image/apng", "image/webp", "image/avif", "video/mp4", "video/webm", "video/ogg", "video/quicktime", "audio/mp4",
  "audio/webm", "audio/aac", "audio/mpeg", "audio/ogg", "audio/wave", "audio/wav", "audio/x-wav", "audio/x-pn-wav",
  "audio/flac", "audio/x-flac",
]);

const CONTENT_SECURITY_POLICY = "sandbox; default-src 'none'; script-src 'none'; plugin-types application/pdf; style-src 'unsafe-inline'; object-src 'self';";

/**
 * The upload's Content-Type as stored: a well-formed `type/subtype` with well-formed
 * parameters, lower-cased type; anything else (missing, malformed, header injection) becomes
 * application/octet-stream, the spec's default.
 */
export function sanitiseContentType(header: string | null): string {
  if (!header || header.length > MAX_CONTENT_TYPE_LENGTH) return DEFAULT_CONTENT_TYPE;
  const [essence, ...params] = header.split(";").map((part) => part.trim());
  if (!essence || !MEDIA_TYPE.test(essence)) return DEFAULT_CONTENT_TYPE;
  const kept = params.filter((param) => param !== "");
  if (!kept.every((param) => PARAMETER.test(param))) return essence.toLowerCase();
  return [essence.toLowerCase(), ...kept].join("; ");
}

/** The type without parameters, lower case ("image/png"). */
export const essenceOf = (contentType: string): string => contentType.split(";")[0]!.trim().toLowerCase();

/** Limit: file names are kept up to this many characters (Synapse does not cap them; headers must stay small). */
export const MAX_FILE_NAME_LENGTH = 255;

/** The `filename` query parameter as stored: control characters dropped, length capped, "" as none. */
export function sanitiseFileName(name: string | null | undefined): string | null {
  if (!name) return null;
  // eslint-disable-next-line no-control-regex
  const cleaned = [...name.replace(/[\u0000-\u001f\u007f]/g, "")].slice(0, MAX_FILE_NAME_LENGTH).join("");
  return cleaned === "" ? null : cleaned;
}

const RFC5987_UNRESERVED = /[A-Za-z0-9!#$&+.^_`|~-]/;

function contentDisposition(type: "inline" | "attachment", fileName: string | null): string {
  if (!fileName) return type;
  // A plain ASCII token may stand as is; everything else goes percent-encoded in filename*.
  if (new RegExp(`^${TOKEN}$`).test(fileName)) return `${type}; filename=${fileName}`;
  const encoded = [...new TextEncoder().encode(fileName)]
    .map((byte) => (byte < 0x80 && RFC5987_UNRESERVED.test(String.fromCharCode(byte)) ? String.fromCharCode(byte) : `%${byte.toString(16).toUpperCase().padStart(2, "0")}`))
    .join("");
  return `${type}; filename*=utf-8''${encoded}`;
}

/** Headers for serving a file of `contentType` under `fileName`, `size` bytes long. */
export function mediaHeaders(contentType: string, fileName: string | null, size: number): Record<string, string> {
  const essence = essenceOf(contentType);
  // Text without a charset would be sniffed by browsers; uploads are UTF-8 by convention (as Synapse).
  const served = essence.startsWith("text/") && !/;\s*charset=/i.test(contentType) ? `${contentType}; charset=utf-8` : contentType;
  return {
    "Content-Type": served,
    "Content-Disposition": contentDisposition(INLINE_TYPES.has(essence) ? "inline" : "attachment", sanitiseFileName(fileName)),
    "Content-Length": String(size),
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "Cross-Origin-Resource-Policy": "cross-origin",
    // Content at an mxc URI never changes (as Synapse).
    "Cache-Control": "public, max-age=86400, s-maxage=86400",
  };
}

/**
 * A response streaming the file at `path` from disk. A row whose file is gone (removed by hand)
 * is 404, not a 200 that breaks off: one stat per download.
 */
export async function fileResponse(path: string, headers: Record<string, string>): Promise<Response> {
  const file = Bun.file(path);
  if (!(await file.exists())) throw mediaNotFound();
  return new Response(file, { status: 200, headers });
}

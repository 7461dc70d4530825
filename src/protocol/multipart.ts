// The multipart/mixed body of the federation media endpoints, both ways: two parts, the first
// JSON metadata ({} today), the second the content (or a Location to fetch it from).
// https://spec.matrix.org/v1.19/server-server-api/#get_matrixfederationv1mediadownloadmediaid
// Boundaries and framing per RFC 2046 section 5.1.1. Parsing works on a body already capped in
// size; anything malformed is a MultipartError, never an exception of another kind.

/** The answer's body does not have the shape the spec gives. */
export class MultipartError extends Error {
  override name = "MultipartError";
}

/** The second part of a media answer. */
export interface MediaPart {
  /** The metadata of the first part (a JSON object). */
  metadata: Record<string, unknown>;
  /** Header names in lower case. */
  headers: Map<string, string>;
  body: Uint8Array;
}

/** Limit: bytes of one part's header section (the spec's headers are a few lines). */
export const MAX_PART_HEADER_BYTES = 16 * 1024;
const CRLF_CRLF = Buffer.from("\r\n\r\n");
const utf8 = new TextDecoder("utf-8", { fatal: true });

/** The boundary of a multipart/mixed Content-Type (RFC 2046: 1-70 characters of a fixed set). */
export function boundaryOf(contentType: string | null): string {
  if (!contentType || !/^\s*multipart\/mixed\s*;/i.test(contentType)) throw new MultipartError("the answer is not multipart/mixed");
  const match = /;\s*boundary=(?:"([^"]{1,70})"|([^\s";]{1,70}))\s*(?:;|$)/i.exec(contentType);
  const boundary = match?.[1] ?? match?.[2];
  if (!boundary || !/^[0-9A-Za-z'()+_,\-./:=? ]*[0-9A-Za-z'()+_,\-./:=?]$/.test(boundary)) throw new MultipartError("the answer has no valid boundary");
  return boundary;
}

function parseHeaders(section: Buffer): Map<string, string> {
  const headers = new Map<string, string>();
  let text: string;
  try {
    text = utf8.decode(section);
  } catch {
    throw new MultipartError("a part's headers are not UTF-8");
  }
  for (const line of text.split("\r\n")) {
    if (line === "") continue;
    const colon = line.indexOf(":");
    if (colon <= 0) throw new MultipartError("a part has a malformed header line");
    headers.set(line.slice(0, colon).trim().toLowerCase(), line.slice(colon + 1).trim());
  }
  return headers;
}

/** Splits one part into its headers and body. */
function splitPart(part: Buffer): { headers: Map<string, string>; body: Buffer } {
  // A part without headers starts with the blank line right away.
  if (part.subarray(0, 2).equals(Buffer.from("\r\n"))) return { headers: new Map(), body: part.subarray(2) };
  const end = part.indexOf(CRLF_CRLF);
  if (end < 0 || end > MAX_PART_HEADER_BYTES) throw new MultipartError("a part's headers do not end");
  return { headers: parseHeaders(part.subarray(0, end)), body: part.subarray(end + 4) };
}

/** The two parts of a media answer: metadata JSON, then the content's headers and bytes. */
export function parseMediaMultipart(contentType: string | null, bytes: Uint8Array): MediaPart {
  const boundary = boundaryOf(contentType);
  const body = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const delimiter = Buffer.from(`--${boundary}`);
  // The first delimiter may follow a preamble; every later one follows a CRLF.
  const first = body.subarray(0, delimiter.length).equals(delimiter) ? 0 : body.indexOf(Buffer.from(`\r\n--${boundary}`));
  if (first < 0) throw new MultipartError("the answer has no parts");
  const inner = Buffer.from(`\r\n--${boundary}`);
  const parts: Buffer[] = [];
  let cursor = first + (first === 0 ? delimiter.length : inner.length);
  for (;;) {
    if (body.subarray(cursor, cursor + 2).toString("latin1") === "--") break; // close delimiter
    // Transport padding (spaces, tabs) may follow a delimiter before its CRLF.
    while (body[cursor] === 0x20 || body[cursor] === 0x09) cursor += 1;
    if (body.subarray(cursor, cursor + 2).toString("latin1") !== "\r\n") throw new MultipartError("a delimiter is not followed by a line break");
    const next = body.indexOf(inner, cursor + 2);
    if (next < 0) throw new MultipartError("the answer ends without its close delimiter");
    parts.push(body.subarray(cursor + 2, next));
    if (parts.length > 2) throw new MultipartError("the answer has more than two parts");
    cursor = next + inner.length;
  }
  if (parts.length !== 2) throw new MultipartError(`the answer has ${parts.length} parts, not two`);
  const meta = splitPart(parts[0]!);
  let metadata: unknown;
  try {
    metadata = JSON.parse(utf8.decode(meta.body));
  } catch {
    throw new MultipartError("the first part is not JSON");
  }
  if (typeof metadata !== "object" || metadata === null || Array.isArray(metadata)) throw new MultipartError("the first part is not a JSON object");
  const content = splitPart(parts[1]!);
  return { metadata: metadata as Record<string, unknown>, headers: content.headers, body: new Uint8Array(content.body) };
}

/** A boundary of 128 random bits: content holding it by chance is not a concern. */
export const newBoundary = (): string => `myelin-${crypto.randomUUID().replaceAll("-", "")}`;

/** The framing around a media part: what goes before the content and what after it. */
export function mediaMultipartFrame(boundary: string, contentHeaders: Record<string, string>): { head: string; tail: string } {
  const headerLines = Object.entries(contentHeaders).map(([name, value]) => `${name}: ${value}\r\n`).join("");
  return {
    head: `--${boundary}\r\nContent-Type: application/json\r\n\r\n{}\r\n--${boundary}\r\n${headerLines}\r\n`,
    tail: `\r\n--${boundary}--\r\n`,
  };
}

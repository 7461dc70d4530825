// Reading request bodies with a size cap, so an oversized or endless body costs at most the
// cap in memory, and turning them into JSON with the spec's error codes.
import { MatrixError } from "../protocol/matrix-error.ts";

const tooLarge = (limit: number) => new MatrixError(413, "M_TOO_LARGE", `Request body exceeds ${limit} bytes`);

/** The raw body, refused with 413 M_TOO_LARGE past `limit` bytes (declared or streamed). */
export async function readBody(request: Request, limit: number): Promise<Uint8Array> {
  const declared = request.headers.get("content-length");
  if (declared !== null && Number(declared) > limit) throw tooLarge(limit);
  if (!request.body) return new Uint8Array(0);
  const chunks: Uint8Array[] = [];
  let total = 0;
  for await (const chunk of request.body as unknown as AsyncIterable<Uint8Array>) {
    total += chunk.byteLength;
    if (total > limit) throw tooLarge(limit);
    chunks.push(chunk);
  }
  return Buffer.concat(chunks);
}

const utf8 = new TextDecoder("utf-8", { fatal: true });

/** A JSON object body; 400 M_NOT_JSON when it is not JSON or not an object. */
export function parseJsonObject(bytes: Uint8Array): Record<string, unknown> {
  let value: unknown;
  let text: string;
  try {
    text = utf8.decode(bytes);
    value = JSON.parse(text);
  } catch {
    throw new MatrixError(400, "M_NOT_JSON", "Content not JSON.");
  }
  // Limit: U+0000 is refused in client bodies: PostgreSQL text and jsonb cannot hold it. JSON
  // escapes it, so only a body with the escape needs the walk.
  if (text.includes("\\u0000") && holdsNul(value)) throw new MatrixError(400, "M_BAD_JSON", "U+0000 is not accepted in strings");
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    throw new MatrixError(400, "M_NOT_JSON", "Content must be a JSON object.");
  }
  return value as Record<string, unknown>;
}

function holdsNul(value: unknown): boolean {
  if (typeof value === "string") return value.includes("\u0000");
  if (Array.isArray(value)) return value.some(holdsNul);
  if (typeof value === "object" && value !== null) return Object.entries(value).some(([key, v]) => key.includes("\u0000") || holdsNul(v));
  return false;
}

// Unpadded Base64 (https://spec.matrix.org/v1.19/appendices/#unpadded-base64), standard and
// URL-safe alphabets. Decoding is strict: foreign characters or an impossible length are refused
// rather than skipped, because signatures and hashes compared after a lenient decode can collide.

const STANDARD = /^[A-Za-z0-9+/]*={0,2}$/;
const URL_SAFE = /^[A-Za-z0-9_-]*={0,2}$/;

export function encodeBase64(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString("base64").replace(/=+$/, "");
}

export function encodeBase64Url(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString("base64url");
}

function decode(text: string, alphabet: RegExp, encoding: "base64" | "base64url"): Uint8Array | null {
  if (!alphabet.test(text)) return null;
  const body = text.replace(/=+$/, "");
  if (body.length % 4 === 1) return null;
  if (text.length !== body.length && text.length % 4 !== 0) return null;
  return new Uint8Array(Buffer.from(body, encoding));
}

/** Decodes standard Base64, padded or not; null when the text is not Base64. */
export function decodeBase64(text: string): Uint8Array | null {
  return decode(text, STANDARD, "base64");
}

/** Decodes URL-safe Base64, padded or not; null when the text is not URL-safe Base64. */
export function decodeBase64Url(text: string): Uint8Array | null {
  return decode(text, URL_SAFE, "base64url");
}

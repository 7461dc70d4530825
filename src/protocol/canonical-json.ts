// Canonical JSON, as the spec's appendix defines it:
// https://spec.matrix.org/v1.19/appendices/#canonical-json
// Keys sorted by Unicode code point, no insignificant whitespace, integers only within
// [-(2^53)+1, 2^53-1], -0 written as 0, strings with the shortest escapes and raw UTF-8.

export class CanonicalJsonError extends Error {
  override name = "CanonicalJsonError";
}

const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/** Orders strings by Unicode code point (JS's default sort compares UTF-16 code units). */
export function compareCodePoints(a: string, b: string): number {
  const length = Math.min(a.length, b.length);
  for (let i = 0; i < length; i++) {
    const x = a.charCodeAt(i);
    const y = b.charCodeAt(i);
    if (x === y) continue;
    // A surrogate (astral code point) sorts after every BMP character above it in UTF-16 order.
    const xs = x >= 0xd800 && x <= 0xdfff;
    const ys = y >= 0xd800 && y <= 0xdfff;
    if (xs !== ys) return xs ? 1 : -1;
    return x - y;
  }
  return a.length - b.length;
}

function encodeString(value: string, path: string): string {
  if (LONE_SURROGATE.test(value)) throw new CanonicalJsonError(`${path}: string holds a lone UTF-16 surrogate`);
  // JSON.stringify already escapes exactly ", \, \b \t \n \f \r and other controls as \u00xx.
  return JSON.stringify(value);
}

function encode(value: unknown, path: string, out: string[]): void {
  switch (typeof value) {
    case "string":
      out.push(encodeString(value, path));
      return;
    case "boolean":
      out.push(value ? "true" : "false");
      return;
    case "number":
      if (!Number.isInteger(value)) throw new CanonicalJsonError(`${path}: ${value} is not an integer`);
      if (!Number.isSafeInteger(value)) throw new CanonicalJsonError(`${path}: ${value} is outside [-(2^53)+1, 2^53-1]`);
      out.push(value === 0 ? "0" : String(value));
      return;
    case "object":
      if (value === null) {
        out.push("null");
        return;
      }
      if (Array.isArray(value)) {
        out.push("[");
        for (let i = 0; i < value.length; i++) {
          if (i > 0) out.push(",");
          encode(value[i] === undefined ? null : value[i], `${path}[${i}]`, out);
        }
        out.push("]");
        return;
      }
      {
        const record = value as Record<string, unknown>;
        const keys = Object.keys(record)
          .filter((key) => record[key] !== undefined)
          .sort(compareCodePoints);
        out.push("{");
        keys.forEach((key, i) => {
          if (i > 0) out.push(",");
          out.push(encodeString(key, path), ":");
          encode(record[key], `${path}.${key}`, out);
        });
        out.push("}");
      }
      return;
    default:
      throw new CanonicalJsonError(`${path}: a ${typeof value} is not JSON`);
  }
}

/** Encodes a JSON value as canonical JSON text; throws CanonicalJsonError if it cannot be. */
export function canonicalJson(value: unknown): string {
  const out: string[] = [];
  encode(value, "$", out);
  return out.join("");
}

const utf8 = new TextEncoder();

/** Canonical JSON as the UTF-8 bytes that are hashed and signed. */
export function canonicalJsonBytes(value: unknown): Uint8Array {
  return utf8.encode(canonicalJson(value));
}

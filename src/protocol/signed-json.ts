// Signing JSON and checking a signature:
// https://spec.matrix.org/v1.19/appendices/#signing-json
import { decodeBase64, encodeBase64 } from "./base64.ts";
import { canonicalJson } from "./canonical-json.ts";
import type { Ed25519 } from "./ed25519.ts";

export type JsonObject = { [key: string]: unknown };
export type Signatures = Record<string, Record<string, string>>;

/** Turns a value into canonical JSON text; the engine's wasm encoder or the TS reference. */
export type CanonicalEncoder = (value: unknown) => string;

export interface SigningKey {
  /** e.g. "ed25519:a_AbCd" */
  keyId: string;
  seed: Uint8Array;
}

const utf8 = new TextEncoder();

/** The bytes a signature covers: the object without `signatures` and `unsigned`. */
export function signedBytes(object: JsonObject, encode: CanonicalEncoder = canonicalJson): Uint8Array {
  const { signatures: _s, unsigned: _u, ...covered } = object;
  return utf8.encode(encode(covered));
}

/** Returns a copy of `object` with this entity's signature added to its `signatures`. */
export function signJson<T extends JsonObject>(
  object: T,
  entity: string,
  key: SigningKey,
  ed25519: Ed25519,
  encode: CanonicalEncoder = canonicalJson,
): T & { signatures: Signatures } {
  const signature = encodeBase64(ed25519.sign(key.seed, signedBytes(object, encode)));
  const existing = (object.signatures ?? {}) as Signatures;
  const signatures: Signatures = { ...existing, [entity]: { ...existing[entity], [key.keyId]: signature } };
  return { ...object, signatures };
}

export type SignatureCheck =
  | { ok: true }
  | { ok: false; reason: "missing" | "malformed" | "invalid" };

/** Checks `entity`'s signature with `keyId` against `publicKey` (steps 1, 4-7 of the spec). */
export function verifyJsonSignature(
  object: JsonObject,
  entity: string,
  keyId: string,
  publicKey: Uint8Array,
  ed25519: Ed25519,
  encode: CanonicalEncoder = canonicalJson,
): SignatureCheck {
  const signatures = object.signatures;
  if (typeof signatures !== "object" || signatures === null) return { ok: false, reason: "missing" };
  const byEntity = (signatures as Record<string, unknown>)[entity];
  if (typeof byEntity !== "object" || byEntity === null) return { ok: false, reason: "missing" };
  const encoded = (byEntity as Record<string, unknown>)[keyId];
  if (typeof encoded !== "string") return { ok: false, reason: "missing" };
  const signature = decodeBase64(encoded);
  if (!signature || signature.length !== 64) return { ok: false, reason: "malformed" };
  let bytes: Uint8Array;
  try {
    bytes = signedBytes(object, encode);
  } catch {
    return { ok: false, reason: "malformed" };
  }
  return ed25519.verify(publicKey, bytes, signature) ? { ok: true } : { ok: false, reason: "invalid" };
}

// Checks of uploaded CrossSigningKey objects: shape, owner, usage, the one Ed25519 key, and a
// signature by another key. https://spec.matrix.org/v1.19/client-server-api/#cross-signing
import { decodeBase64 } from "../protocol/base64.ts";
import type { Ed25519 } from "../protocol/ed25519.ts";
import { MatrixError } from "../protocol/matrix-error.ts";
import { verifyJsonSignature, type JsonObject } from "../protocol/signed-json.ts";
import type { CrossSigningUsage } from "../storage/repos/cross-signing.ts";

export interface ParsedKey {
  usage: CrossSigningUsage;
  /** Unpadded base64 Ed25519 public key. */
  publicKey: string;
  key: JsonObject;
}

const isObject = (value: unknown): value is JsonObject => typeof value === "object" && value !== null && !Array.isArray(value);

/** Validates one key of POST /keys/device_signing/upload; 400 M_INVALID_PARAM when malformed. */
export function parseCrossSigningKey(value: unknown, userId: string, usage: CrossSigningUsage): ParsedKey {
  const invalid = (why: string) => new MatrixError(400, "M_INVALID_PARAM", `Invalid ${usage} key: ${why}`);
  if (!isObject(value)) throw invalid("not an object");
  if (value.user_id !== userId) throw invalid("user_id is not the requester's");
  if (!Array.isArray(value.usage) || !value.usage.includes(usage) || !value.usage.every((u) => typeof u === "string")) throw invalid(`usage must contain "${usage}"`);
  if (!isObject(value.keys)) throw invalid("keys must be an object");
  const entries = Object.entries(value.keys);
  if (entries.length !== 1) throw invalid("keys must hold exactly one key");
  const [keyId, publicKey] = entries[0]!;
  if (typeof publicKey !== "string" || keyId !== `ed25519:${publicKey}` || decodeBase64(publicKey)?.length !== 32) {
    throw invalid("the key must be an Ed25519 public key named ed25519:<public key>");
  }
  if (value.signatures !== undefined && !isObject(value.signatures)) throw invalid("signatures must be an object");
  return { usage, publicKey, key: value };
}

/** Whether `object` carries a good signature of `signer`'s key `publicKey` (key id "ed25519:<publicKey>"). */
export function signedByKey(object: JsonObject, signer: string, publicKey: string, ed25519: Ed25519): boolean {
  const bytes = decodeBase64(publicKey);
  if (!bytes) return false;
  return verifyJsonSignature(object, signer, `ed25519:${publicKey}`, bytes, ed25519).ok;
}

/** The Ed25519 key of a device's uploaded DeviceKeys object, if well formed. */
export function deviceSigningKey(deviceKeys: JsonObject, deviceId: string): Uint8Array | null {
  const keys = deviceKeys.keys;
  if (!isObject(keys)) return null;
  const value = keys[`ed25519:${deviceId}`];
  const bytes = typeof value === "string" ? decodeBase64(value) : null;
  return bytes?.length === 32 ? bytes : null;
}

export { isObject };

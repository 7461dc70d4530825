// Checking a key response (GET /_matrix/key/v2/server, or one entry of a notary's answer)
// before any of its keys is believed. Everything in it is another server's input: anything
// malformed makes the whole response null, never an exception.
// https://spec.matrix.org/v1.19/server-server-api/#get_matrixkeyv2server
// https://spec.matrix.org/v1.19/server-server-api/#post_matrixkeyv2query
import { decodeBase64 } from "../protocol/base64.ts";
import type { Ed25519 } from "../protocol/ed25519.ts";
import { verifyJsonSignature, type CanonicalEncoder, type JsonObject } from "../protocol/signed-json.ts";

/**
 * Most keys (verify_keys and old_verify_keys together) one response may list; a longer list is
 * refused as hostile. Synapse servers publish one current key and a handful of old ones.
 */
export const MAX_KEYS_PER_RESPONSE = 64;

/** How far past its fetch a current key counts at most, whatever valid_until_ts says (room v5+). */
export const MAX_KEY_VALIDITY_MS = 7 * 24 * 3600_000;

// https://spec.matrix.org/v1.19/server-server-api/#get_matrixkeyv2server (key id versions)
const ED25519_KEY_ID = /^ed25519:[A-Za-z0-9_]+$/;

export interface ResponseKey {
  keyId: string;
  /** Unpadded base64, as published. */
  base64: string;
  publicKey: Uint8Array;
  /** valid_until_ts of the response for a current key, expired_ts for an old one. */
  validUntilTs: number;
  expired: boolean;
}

export interface KeyResponse {
  serverName: string;
  validUntilTs: number;
  /** The ed25519 keys (other algorithms are ignored). */
  keys: ResponseKey[];
  json: JsonObject;
}

export interface KeyResponseChecker {
  ed25519: Ed25519;
  canonicalJson: CanonicalEncoder;
}

const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === "object" && value !== null && !Array.isArray(value);
const isTimestamp = (value: unknown): value is number => Number.isSafeInteger(value) && (value as number) >= 0;

/** The ed25519 keys of one key map; null when an entry is malformed. */
function keysOf(map: Record<string, unknown>, expired: boolean, validUntilTs: number): ResponseKey[] | null {
  const keys: ResponseKey[] = [];
  for (const [keyId, entry] of Object.entries(map)) {
    if (!isObject(entry) || typeof entry.key !== "string") return null;
    if (!ED25519_KEY_ID.test(keyId)) continue;
    const publicKey = decodeBase64(entry.key);
    if (!publicKey || publicKey.length !== 32) return null;
    if (expired && !isTimestamp(entry.expired_ts)) return null;
    keys.push({ keyId, base64: entry.key, publicKey, validUntilTs: expired ? (entry.expired_ts as number) : validUntilTs, expired });
  }
  return keys;
}

/**
 * `json` as the key response of `serverName`, self-signed: every signature of the server by a
 * key it lists in verify_keys must verify, and there must be at least one (Synapse checks the
 * same). Old keys sign nothing here: they only verify old events.
 */
export function checkKeyResponse(json: unknown, serverName: string, checker: KeyResponseChecker): KeyResponse | null {
  if (!isObject(json) || json.server_name !== serverName || !isTimestamp(json.valid_until_ts)) return null;
  const verifyKeys = json.verify_keys;
  const oldKeys = json.old_verify_keys ?? {};
  if (!isObject(verifyKeys) || !isObject(oldKeys)) return null;
  if (Object.keys(verifyKeys).length + Object.keys(oldKeys).length > MAX_KEYS_PER_RESPONSE) return null;
  const current = keysOf(verifyKeys, false, json.valid_until_ts);
  const old = keysOf(oldKeys, true, json.valid_until_ts);
  if (!current || !old) return null;

  const signatures = isObject(json.signatures) ? json.signatures[serverName] : undefined;
  if (!isObject(signatures)) return null;
  let signed = false;
  for (const key of current) {
    if (!(key.keyId in signatures)) continue;
    const check = verifyJsonSignature(json, serverName, key.keyId, key.publicKey, checker.ed25519, checker.canonicalJson);
    if (!check.ok) return null;
    signed = true;
  }
  if (!signed) return null;
  // A key listed as both current and old is old: the server says it stopped using it.
  const oldIds = new Set(old.map((key) => key.keyId));
  return { serverName, validUntilTs: json.valid_until_ts, keys: [...current.filter((key) => !oldIds.has(key.keyId)), ...old], json };
}

/**
 * Whether a notary's entry carries the notary's signature by one of the keys configured for it
 * (trusted_key_servers verify_keys); every such signature present must verify. Without
 * configured keys the notary is trusted through TLS alone, as Synapse does.
 */
export function checkNotarySignature(
  json: JsonObject,
  notary: string,
  notaryKeys: ReadonlyMap<string, Uint8Array> | null,
  checker: KeyResponseChecker,
): boolean {
  if (!notaryKeys) return true;
  const signatures = isObject(json.signatures) ? json.signatures[notary] : undefined;
  if (!isObject(signatures)) return false;
  let signed = false;
  for (const [keyId, publicKey] of notaryKeys) {
    if (!(keyId in signatures)) continue;
    if (!verifyJsonSignature(json, notary, keyId, publicKey, checker.ed25519, checker.canonicalJson).ok) return false;
    signed = true;
  }
  return signed;
}

/** Until when (ms) a signature by this key counts: expired_ts, or valid_until_ts capped at 7 days past the fetch. */
export function effectiveValidUntil(key: { validUntilTs: number; expired: boolean }, fetchedTs: number): number {
  return key.expired ? key.validUntilTs : Math.min(key.validUntilTs, fetchedTs + MAX_KEY_VALIDITY_MS);
}

// POST /keys/upload: a device's identity keys, one-time keys and fallback keys, each signed by
// the device's own ed25519 key; and the key cleanup when devices are deleted.
// https://spec.matrix.org/v1.19/client-server-api/#post_matrixclientv3keysupload
// https://spec.matrix.org/v1.19/client-server-api/#end-to-end-encryption
import { canonicalJson } from "../protocol/canonical-json.ts";
import { decodeBase64 } from "../protocol/base64.ts";
import type { Ed25519 } from "../protocol/ed25519.ts";
import { MatrixError } from "../protocol/matrix-error.ts";
import { verifyJsonSignature, type JsonObject } from "../protocol/signed-json.ts";
import type { DeviceKeysRepo } from "../storage/repos/device-keys.ts";

/** Called after a user's device list changed (new device keys, deleted devices) at `position` of the device list stream. */
export type DeviceListChanged = (userId: string, position: number) => void | Promise<void>;

export interface KeysUpload {
  device_keys?: unknown;
  one_time_keys?: unknown;
  fallback_keys?: unknown;
}

const invalid = (message: string) => new MatrixError(400, "M_INVALID_PARAM", message);
const isObject = (value: unknown): value is JsonObject => typeof value === "object" && value !== null && !Array.isArray(value);

/** Canonical text of a key object for equality (signatures included, unsigned not); null when it cannot be encoded. */
function sameJson(a: unknown, b: unknown): boolean {
  const strip = (v: unknown) => (isObject(v) ? (({ unsigned: _u, ...rest }) => rest)(v) : v);
  try {
    return canonicalJson(strip(a)) === canonicalJson(strip(b));
  } catch {
    return false;
  }
}

/** The device's ed25519 public key from its DeviceKeys, or null. */
export function deviceSigningKey(keys: JsonObject, deviceId: string): Uint8Array | null {
  const encoded = isObject(keys.keys) ? keys.keys[`ed25519:${deviceId}`] : undefined;
  if (typeof encoded !== "string") return null;
  const bytes = decodeBase64(encoded);
  return bytes && bytes.length === 32 ? bytes : null;
}

/** Parses `{"<algorithm>:<key id>": key}`: each key a string or an object signed by the device. */
function parseKeys(
  field: string,
  value: unknown,
  check: (key: JsonObject, name: string) => void,
): { algorithm: string; keyId: string; key: unknown }[] {
  if (value === undefined || value === null) return [];
  if (!isObject(value)) throw invalid(`${field} must be an object`);
  return Object.entries(value).map(([name, key]) => {
    const colon = name.indexOf(":");
    if (colon <= 0 || colon === name.length - 1) throw invalid(`${field}: key name ${name} is not <algorithm>:<key id>`);
    if (isObject(key)) {
      if (typeof key.key !== "string") throw invalid(`${field}: ${name} has no key`);
      check(key, name);
    } else if (typeof key !== "string") {
      throw invalid(`${field}: ${name} must be a string or an object`);
    }
    return { algorithm: name.slice(0, colon), keyId: name.slice(colon + 1), key };
  });
}

export function createDeviceKeys(deps: { repo: DeviceKeysRepo; ed25519: Ed25519; deviceListChanged?: DeviceListChanged }) {
  const { repo, ed25519 } = deps;

  async function announce(userId: string): Promise<void> {
    const position = await repo.recordDeviceListChange(userId);
    await deps.deviceListChanged?.(userId, position);
  }

  /** Checks uploaded DeviceKeys; true when they are new for the device (false: the same keys again). */
  async function checkDeviceKeys(userId: string, deviceId: string, keys: unknown, stored: JsonObject | null): Promise<boolean> {
    if (!isObject(keys)) throw invalid("device_keys must be an object");
    if (keys.user_id !== userId || keys.device_id !== deviceId) throw invalid("device_keys must be for the requesting user and device");
    if (!Array.isArray(keys.algorithms) || !keys.algorithms.every((a) => typeof a === "string")) throw invalid("device_keys.algorithms must be a list of strings");
    if (!isObject(keys.keys) || !Object.values(keys.keys).every((k) => typeof k === "string")) throw invalid("device_keys.keys must map key ids to strings");
    const publicKey = deviceSigningKey(keys, deviceId);
    if (!publicKey) throw invalid(`device_keys has no valid ed25519:${deviceId} key`);
    const check = verifyJsonSignature(keys, userId, `ed25519:${deviceId}`, publicKey, ed25519);
    if (!check.ok) throw invalid(`device_keys signature is ${check.reason}`);
    if (!stored) return true;
    // As Synapse: a device's identity keys are set once; the same keys again are accepted, others refused.
    if (!sameJson(stored, keys)) throw invalid("This device already has different device keys");
    return false;
  }

  return {
    /** POST /keys/upload for the requester's device; answers the device's one-time key counts. */
    async upload(userId: string, deviceId: string, body: KeysUpload): Promise<{ one_time_key_counts: Record<string, number> }> {
      const stored = (await repo.getDeviceKeys(userId, deviceId)) as JsonObject | null;
      const newDeviceKeys = body.device_keys !== undefined && body.device_keys !== null && (await checkDeviceKeys(userId, deviceId, body.device_keys, stored));
      const signingKeys = (newDeviceKeys ? (body.device_keys as JsonObject) : stored) ?? null;
      const publicKey = signingKeys && deviceSigningKey(signingKeys, deviceId);
      const checkSigned = (field: string) => (key: JsonObject, name: string) => {
        if (!publicKey) throw invalid(`${field}: ${name} is signed but the device has no keys to check it with`);
        const check = verifyJsonSignature(key, userId, `ed25519:${deviceId}`, publicKey, ed25519);
        if (!check.ok) throw invalid(`${field}: signature of ${name} is ${check.reason}`);
      };
      const oneTime = parseKeys("one_time_keys", body.one_time_keys, checkSigned("one_time_keys"));
      const fallback = parseKeys("fallback_keys", body.fallback_keys, checkSigned("fallback_keys"));

      // A key id already stored with other content is refused (as Synapse): the claimant could get either.
      const existing = await repo.existingOneTimeKeys(userId, deviceId, oneTime);
      const byName = new Map(existing.map((k) => [`${k.algorithm}:${k.keyId}`, k.key]));
      for (const k of oneTime) {
        const old = byName.get(`${k.algorithm}:${k.keyId}`);
        if (old !== undefined && !sameJson(old, k.key)) throw invalid(`One-time key ${k.algorithm}:${k.keyId} already exists with other content`);
      }
      const seen = new Set<string>();
      const latestFallback = fallback.filter((k) => !seen.has(k.algorithm) && seen.add(k.algorithm));

      if (newDeviceKeys && (await repo.insertDeviceKeys(userId, deviceId, body.device_keys as JsonObject))) await announce(userId);
      await repo.insertOneTimeKeys(userId, deviceId, oneTime.filter((k) => !byName.has(`${k.algorithm}:${k.keyId}`)));
      for (const k of latestFallback) await repo.setFallbackKey(userId, deviceId, k.algorithm, k.keyId, k.key);
      return { one_time_key_counts: await repo.oneTimeKeyCounts(userId, deviceId) };
    },

    /** Records a change of the user's device list (for other modules: cross-signing key or signature uploads). */
    announceChange: announce,

    /** The devicesDeleted hook (src/auth/user-data.ts): drops their keys and announces the change. */
    async devicesDeleted(userId: string, deviceIds: readonly string[]): Promise<void> {
      if (deviceIds.length === 0) return;
      await repo.deleteDevices(userId, deviceIds);
      await announce(userId);
    },
  };
}

export type DeviceKeys = ReturnType<typeof createDeviceKeys>;

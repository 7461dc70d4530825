// Device keys of users of other servers for POST /keys/query and /keys/claim: one request per
// server, all within the client's `timeout`, answers kept only for what was asked of that server.
// https://spec.matrix.org/v1.19/server-server-api/#end-to-end-encryption
// https://spec.matrix.org/v1.19/client-server-api/#post_matrixclientv3keysquery
// Limits: no cache of remote device lists (each query asks again; Synapse keeps lists of users
// sharing a room up to date from m.device_list_update EDUs, which Myelin does not receive yet);
// claimed one-time keys are passed on unverified (the client checks their signatures, as with Synapse).
import { deviceSigningKey } from "../auth/device-keys.ts";
import type { RemoteDeviceKeys, RemoteKeysQueryResult } from "../auth/keys-query.ts";
import type { Ed25519 } from "../protocol/ed25519.ts";
import { verifyJsonSignature, type CanonicalEncoder, type JsonObject } from "../protocol/signed-json.ts";
import { FederationRequestError, type FederationTransport } from "./transport.ts";

/** Limit: servers one /keys/query or /keys/claim asks at once (Synapse asks all at once). */
export const REMOTE_KEYS_CONCURRENCY = 20;

const isObject = (value: unknown): value is JsonObject => typeof value === "object" && value !== null && !Array.isArray(value);
const serverOf = (userId: string) => userId.slice(userId.indexOf(":") + 1);

/** Splits a map keyed by user id by the users' servers. */
function byServer<V>(users: Record<string, V>): Map<string, Record<string, V>> {
  const groups = new Map<string, Record<string, V>>();
  for (const [userId, value] of Object.entries(users)) {
    const server = serverOf(userId);
    if (!groups.has(server)) groups.set(server, {});
    groups.get(server)![userId] = value;
  }
  return groups;
}

/** A failure entry as Synapse writes it: the remote's status when it answered, else 503. */
function failure(error: unknown): JsonObject {
  if (error instanceof FederationRequestError) return { status: error.status ?? 503, message: error.message };
  return { status: 503, message: (error as Error)?.message ?? String(error) };
}

/**
 * Asks every destination with `ask`, REMOTE_KEYS_CONCURRENCY at a time, all before one deadline
 * (the transport gets the time left; a timer stops waiting for one that ignores it).
 */
export async function askAll<T>(
  destinations: readonly string[],
  timeoutMs: number,
  ask: (destination: string, timeLeftMs: number) => Promise<T>,
  now: () => number = Date.now,
): Promise<{ answers: Map<string, T>; failures: Record<string, JsonObject> }> {
  const deadline = now() + timeoutMs;
  const answers = new Map<string, T>();
  const failures: Record<string, JsonObject> = {};
  let next = 0;
  const worker = async () => {
    while (next < destinations.length) {
      const destination = destinations[next++]!;
      const timeLeft = deadline - now();
      if (timeLeft <= 0) {
        failures[destination] = { status: 503, message: `no answer from ${destination} within ${timeoutMs} ms` };
        continue;
      }
      let timer: ReturnType<typeof setTimeout> | undefined;
      const expired = new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`no answer from ${destination} within ${timeoutMs} ms`)), timeLeft);
      });
      try {
        answers.set(destination, await Promise.race([ask(destination, timeLeft), expired]));
      } catch (error) {
        failures[destination] = failure(error);
      } finally {
        clearTimeout(timer);
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(REMOTE_KEYS_CONCURRENCY, destinations.length) }, worker));
  return { answers, failures };
}

/** Whether `keys` are the DeviceKeys of this user's device, signed by the device's own ed25519 key. */
export function isSelfSignedDevice(userId: string, deviceId: string, keys: unknown, ed25519: Ed25519, encode?: CanonicalEncoder): keys is JsonObject {
  if (!isObject(keys) || keys.user_id !== userId || keys.device_id !== deviceId) return false;
  const publicKey = deviceSigningKey(keys, deviceId);
  return publicKey !== null && verifyJsonSignature(keys, userId, `ed25519:${deviceId}`, publicKey, ed25519, encode).ok;
}

/** A cross-signing key of this user with this usage (its signatures are the client's to check). */
const isCrossSigningKey = (userId: string, usage: string, key: unknown): key is JsonObject =>
  isObject(key) && key.user_id === userId && Array.isArray(key.usage) && key.usage.includes(usage) && isObject(key.keys);

/** What a server answered to /user/keys/query, reduced to the users asked of it and devices that check out. */
export function keepAsked(asked: Record<string, string[]>, answer: unknown, ed25519: Ed25519, encode?: CanonicalEncoder): Omit<RemoteKeysQueryResult, "failures"> {
  const kept: Omit<RemoteKeysQueryResult, "failures"> = { device_keys: {}, master_keys: {}, self_signing_keys: {} };
  if (!isObject(answer)) return kept;
  const field = (name: string) => (isObject(answer[name]) ? (answer[name] as JsonObject) : {});
  const deviceKeys = field("device_keys");
  for (const [userId, wanted] of Object.entries(asked)) {
    const devices = deviceKeys[userId];
    if (isObject(devices)) {
      const mine: Record<string, JsonObject> = {};
      for (const [deviceId, keys] of Object.entries(devices)) {
        if (wanted.length > 0 && !wanted.includes(deviceId)) continue;
        if (isSelfSignedDevice(userId, deviceId, keys, ed25519, encode)) mine[deviceId] = keys;
      }
      kept.device_keys[userId] = mine;
    }
    const master = field("master_keys")[userId];
    if (isCrossSigningKey(userId, "master", master)) kept.master_keys[userId] = master;
    const selfSigning = field("self_signing_keys")[userId];
    if (isCrossSigningKey(userId, "self_signing", selfSigning)) kept.self_signing_keys[userId] = selfSigning;
  }
  return kept;
}

/** What a server answered to /user/keys/claim, reduced to the users, devices and algorithms asked of it. */
export function keepClaimed(asked: Record<string, Record<string, string>>, answer: unknown): Record<string, Record<string, Record<string, unknown>>> {
  const kept: Record<string, Record<string, Record<string, unknown>>> = {};
  const keys = isObject(answer) && isObject(answer.one_time_keys) ? answer.one_time_keys : {};
  for (const [userId, devices] of Object.entries(asked)) {
    const answered = keys[userId];
    if (!isObject(answered)) continue;
    for (const [deviceId, algorithm] of Object.entries(devices)) {
      const deviceKeys = answered[deviceId];
      if (!isObject(deviceKeys)) continue;
      for (const [name, key] of Object.entries(deviceKeys)) {
        if (name.startsWith(`${algorithm}:`) && (typeof key === "string" || isObject(key))) ((kept[userId] ??= {})[deviceId] ??= {})[name] = key;
      }
    }
  }
  return kept;
}

export function createRemoteDeviceKeys(deps: { transport: FederationTransport; ed25519: Ed25519; canonicalJson?: CanonicalEncoder; now?: () => number }): RemoteDeviceKeys {
  return {
    async query(users, timeoutMs) {
      const groups = byServer(users);
      const { answers, failures } = await askAll([...groups.keys()], timeoutMs, (destination, timeLeftMs) =>
        deps.transport.signed(destination, { method: "POST", path: "/_matrix/federation/v1/user/keys/query", body: { device_keys: groups.get(destination)! }, timeoutMs: timeLeftMs }),
      deps.now);
      const result: RemoteKeysQueryResult = { device_keys: {}, master_keys: {}, self_signing_keys: {}, failures };
      for (const [destination, answer] of answers) {
        const kept = keepAsked(groups.get(destination)!, answer, deps.ed25519, deps.canonicalJson);
        Object.assign(result.device_keys, kept.device_keys);
        Object.assign(result.master_keys, kept.master_keys);
        Object.assign(result.self_signing_keys, kept.self_signing_keys);
      }
      return result;
    },

    async claim(keys, timeoutMs) {
      const groups = byServer(keys);
      const { answers, failures } = await askAll([...groups.keys()], timeoutMs, (destination, timeLeftMs) =>
        deps.transport.signed(destination, { method: "POST", path: "/_matrix/federation/v1/user/keys/claim", body: { one_time_keys: groups.get(destination)! }, timeoutMs: timeLeftMs }),
      deps.now);
      const one_time_keys: Record<string, Record<string, Record<string, unknown>>> = {};
      for (const [destination, answer] of answers) Object.assign(one_time_keys, keepClaimed(groups.get(destination)!, answer));
      return { one_time_keys, failures };
    },
  };
}

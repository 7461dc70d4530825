// POST /keys/query and POST /keys/claim: other users' device keys and one-time keys.
// https://spec.matrix.org/v1.19/client-server-api/#post_matrixclientv3keysquery
// https://spec.matrix.org/v1.19/client-server-api/#post_matrixclientv3keysclaim
import { MatrixError } from "../protocol/matrix-error.ts";
import type { JsonObject, Signatures } from "../protocol/signed-json.ts";
import type { DeviceKeysRepo } from "../storage/repos/device-keys.ts";

/** Cross-signing keys of users as /keys/query answers them, keyed by user id. */
export interface CrossSigningKeysResult {
  master_keys: Record<string, JsonObject>;
  self_signing_keys: Record<string, JsonObject>;
  user_signing_keys: Record<string, JsonObject>;
  /** Signatures of devices by cross-signing keys (POST /keys/signatures/upload), merged into their device keys. */
  device_signatures?: Record<string, Record<string, Signatures>>;
}

/**
 * Filled by the cross-signing module (src/auth/cross-signing*.ts); without it the answer has
 * empty cross-signing maps. `requester` sees their own user-signing key only.
 */
export type CrossSigningKeys = (userIds: readonly string[], requester: string) => Promise<CrossSigningKeysResult>;

export interface KeysQueryResponse extends CrossSigningKeysResult {
  device_keys: Record<string, Record<string, JsonObject>>;
  failures: Record<string, JsonObject>;
}

/** Limit: users in one /keys/query or /keys/claim (Synapse has none; this bounds one statement). */
export const MAX_KEYS_QUERY_USERS = 10_000;

const isObject = (value: unknown): value is JsonObject => typeof value === "object" && value !== null && !Array.isArray(value);
const invalid = (message: string) => new MatrixError(400, "M_INVALID_PARAM", message);

export function createKeysQuery(deps: { repo: DeviceKeysRepo; serverName: string; crossSigningKeys?: CrossSigningKeys }) {
  const { repo, serverName } = deps;
  const isLocal = (userId: string) => userId.startsWith("@") && userId.slice(userId.indexOf(":") + 1) === serverName;

  /** Local user ids of a request map; remote ones are left for federation (issue: federated key queries, not built yet). */
  function localUsers(field: string, users: unknown): string[] {
    if (!isObject(users)) throw invalid(`${field} must be an object`);
    const ids = Object.keys(users);
    if (ids.length > MAX_KEYS_QUERY_USERS) throw invalid(`${field} names more than ${MAX_KEYS_QUERY_USERS} users`);
    for (const id of ids) if (!/^@[^:]+:.+$/.test(id)) throw invalid(`${field}: ${id} is not a user id`);
    return ids.filter(isLocal);
  }

  return {
    async query(requester: string, body: { device_keys?: unknown }): Promise<KeysQueryResponse> {
      const requested = (body.device_keys ?? {}) as Record<string, unknown>;
      const users = localUsers("device_keys", requested);
      for (const id of users) {
        const devices = requested[id];
        if (devices !== null && (!Array.isArray(devices) || !devices.every((d) => typeof d === "string"))) throw invalid(`device_keys: devices of ${id} must be a list`);
      }
      const [rows, cross] = await Promise.all([
        repo.deviceKeysOf(users),
        deps.crossSigningKeys?.(users, requester) ?? Promise.resolve<CrossSigningKeysResult>({ master_keys: {}, self_signing_keys: {}, user_signing_keys: {} }),
      ]);
      const device_keys: Record<string, Record<string, JsonObject>> = Object.fromEntries(users.map((u) => [u, {}]));
      const wanted = new Map(users.map((u) => [u, (requested[u] as string[] | null)?.length ? new Set(requested[u] as string[]) : null]));
      for (const row of rows) {
        if (wanted.get(row.userId)?.has(row.deviceId) === false) continue;
        const extra = cross.device_signatures?.[row.userId]?.[row.deviceId];
        const own = (row.keys.signatures ?? {}) as Signatures;
        const signatures = extra ? mergeSignatures(own, extra) : own;
        device_keys[row.userId]![row.deviceId] = {
          ...row.keys,
          signatures,
          ...(row.displayName !== null ? { unsigned: { device_display_name: row.displayName } } : {}),
        };
      }
      // Remote users: no federation client yet, so they are absent and no server is reported as failed.
      const { device_signatures: _d, ...crossKeys } = cross;
      return { device_keys, failures: {}, ...crossKeys };
    },

    /** One-time keys first, each handed out once; else the device's fallback key (marked used). Unknown devices are left out. */
    async claim(body: { one_time_keys?: unknown }): Promise<{ one_time_keys: Record<string, Record<string, Record<string, unknown>>>; failures: Record<string, JsonObject> }> {
      const requested = (body.one_time_keys ?? {}) as Record<string, unknown>;
      const requests: { userId: string; deviceId: string; algorithm: string }[] = [];
      for (const userId of localUsers("one_time_keys", requested)) {
        const devices = requested[userId];
        if (!isObject(devices)) throw invalid(`one_time_keys: devices of ${userId} must be an object`);
        for (const [deviceId, algorithm] of Object.entries(devices)) {
          if (typeof algorithm !== "string") throw invalid(`one_time_keys: algorithm for ${userId} ${deviceId} must be a string`);
          requests.push({ userId, deviceId, algorithm });
        }
      }
      const claimed = await repo.claimOneTimeKeys(requests);
      const got = new Set(claimed.map((k) => `${k.userId}\n${k.deviceId}\n${k.algorithm}`));
      const fallback = await repo.claimFallbackKeys(requests.filter((r) => !got.has(`${r.userId}\n${r.deviceId}\n${r.algorithm}`)));
      const one_time_keys: Record<string, Record<string, Record<string, unknown>>> = {};
      for (const k of [...claimed, ...fallback]) {
        ((one_time_keys[k.userId] ??= {})[k.deviceId] ??= {})[`${k.algorithm}:${k.keyId}`] = k.key;
      }
      return { one_time_keys, failures: {} };
    },
  };
}

function mergeSignatures(a: Signatures, b: Signatures): Signatures {
  const out: Signatures = { ...a };
  for (const [entity, sigs] of Object.entries(b)) out[entity] = { ...out[entity], ...sigs };
  return out;
}

export type KeysQuery = ReturnType<typeof createKeysQuery>;

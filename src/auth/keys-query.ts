// POST /keys/query and POST /keys/claim: other users' device keys and one-time keys (users of
// other servers through RemoteDeviceKeys), and the same for other servers asking about ours.
// https://spec.matrix.org/v1.19/client-server-api/#post_matrixclientv3keysquery
// https://spec.matrix.org/v1.19/client-server-api/#post_matrixclientv3keysclaim
// https://spec.matrix.org/v1.19/server-server-api/#end-to-end-encryption
import { MatrixError } from "../protocol/matrix-error.ts";
import type { JsonObject, Signatures } from "../protocol/signed-json.ts";
import type { DeviceKeysRepo } from "../storage/repos/device-keys.ts";
import { isUserId } from "./user-id-checks.ts";

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
/** The spec's default wait for other servers' answers to /keys/query and /keys/claim. */
export const KEYS_QUERY_DEFAULT_TIMEOUT_MS = 10_000;
/** Limit: the longest `timeout` honoured (the federation client's own default limit, 60 s). */
export const KEYS_QUERY_MAX_TIMEOUT_MS = 60_000;

type OneTimeKeys = Record<string, Record<string, Record<string, unknown>>>;

/** What other servers answered for their users: only users of the server asked, keys checked. */
export interface RemoteKeysQueryResult {
  device_keys: Record<string, Record<string, JsonObject>>;
  master_keys: Record<string, JsonObject>;
  self_signing_keys: Record<string, JsonObject>;
  /** Servers that could not answer within the time, by server name. */
  failures: Record<string, JsonObject>;
}

/**
 * Keys of users of other servers, asked of their servers in parallel within `timeoutMs`
 * (src/federation/queries-keys.ts over /_matrix/federation/v1/user/keys/*, injected by main.ts).
 */
export interface RemoteDeviceKeys {
  /** Users to device ids ([]: all devices), all of other servers. */
  query(users: Record<string, string[]>, timeoutMs: number): Promise<RemoteKeysQueryResult>;
  /** Users to device ids to algorithm, all of other servers. */
  claim(keys: Record<string, Record<string, string>>, timeoutMs: number): Promise<{ one_time_keys: OneTimeKeys; failures: Record<string, JsonObject> }>;
}

const isObject = (value: unknown): value is JsonObject => typeof value === "object" && value !== null && !Array.isArray(value);
const invalid = (message: string) => new MatrixError(400, "M_INVALID_PARAM", message);

/** The `timeout` of a request, in the range honoured. */
const timeoutOf = (body: { timeout?: unknown }) =>
  typeof body.timeout === "number" && Number.isFinite(body.timeout) ? Math.min(Math.max(body.timeout, 0), KEYS_QUERY_MAX_TIMEOUT_MS) : KEYS_QUERY_DEFAULT_TIMEOUT_MS;

export function createKeysQuery(deps: { repo: DeviceKeysRepo; serverName: string; crossSigningKeys?: CrossSigningKeys; remote?: RemoteDeviceKeys }) {
  const { repo, serverName } = deps;
  const isLocal = (userId: string) => userId.startsWith("@") && userId.slice(userId.indexOf(":") + 1) === serverName;

  /** The user ids of a request map, local and of other servers. */
  function splitUsers(field: string, users: unknown): { local: string[]; remote: string[] } {
    if (!isObject(users)) throw invalid(`${field} must be an object`);
    const ids = Object.keys(users);
    if (ids.length > MAX_KEYS_QUERY_USERS) throw invalid(`${field} names more than ${MAX_KEYS_QUERY_USERS} users`);
    for (const id of ids) if (!/^@[^:]+:.+$/.test(id) || !(isLocal(id) || isUserId(id))) throw invalid(`${field}: ${id} is not a user id`);
    return { local: ids.filter(isLocal), remote: ids.filter((id) => !isLocal(id)) };
  }

  /** Device ids per user of a /keys/query map (null or []: all devices). */
  function deviceLists(requested: Record<string, unknown>, users: readonly string[]): Map<string, string[]> {
    const lists = new Map<string, string[]>();
    for (const id of users) {
      const devices = requested[id];
      if (devices !== null && (!Array.isArray(devices) || !devices.every((d) => typeof d === "string"))) throw invalid(`device_keys: devices of ${id} must be a list`);
      lists.set(id, devices ?? []);
    }
    return lists;
  }

  /** Keys of local users; other servers see no device names (Synapse's allow_device_name_lookup_over_federation, off). */
  async function localKeys(requester: string, requested: Record<string, unknown>, users: string[], options: { deviceNames: boolean }): Promise<KeysQueryResponse> {
    deviceLists(requested, users);
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
        ...(row.displayName !== null && options.deviceNames ? { unsigned: { device_display_name: row.displayName } } : {}),
      };
    }
    const { device_signatures: _d, ...crossKeys } = cross;
    return { device_keys, failures: {}, ...crossKeys };
  }

  /** The (user, device, algorithm) triples of a /keys/claim map. */
  function claimRequests(requested: Record<string, unknown>, users: readonly string[]) {
    const requests: { userId: string; deviceId: string; algorithm: string }[] = [];
    for (const userId of users) {
      const devices = requested[userId];
      if (!isObject(devices)) throw invalid(`one_time_keys: devices of ${userId} must be an object`);
      for (const [deviceId, algorithm] of Object.entries(devices)) {
        if (typeof algorithm !== "string") throw invalid(`one_time_keys: algorithm for ${userId} ${deviceId} must be a string`);
        requests.push({ userId, deviceId, algorithm });
      }
    }
    return requests;
  }

  /** One-time keys first, each handed out once; else the device's fallback key (marked used). Unknown devices are left out. */
  async function claimLocal(requests: { userId: string; deviceId: string; algorithm: string }[]): Promise<OneTimeKeys> {
    const claimed = await repo.claimOneTimeKeys(requests);
    const got = new Set(claimed.map((k) => `${k.userId}\n${k.deviceId}\n${k.algorithm}`));
    const fallback = await repo.claimFallbackKeys(requests.filter((r) => !got.has(`${r.userId}\n${r.deviceId}\n${r.algorithm}`)));
    const one_time_keys: Record<string, Record<string, Record<string, unknown>>> = {};
    for (const k of [...claimed, ...fallback]) {
      ((one_time_keys[k.userId] ??= {})[k.deviceId] ??= {})[`${k.algorithm}:${k.keyId}`] = k.key;
    }
    return one_time_keys;
  }

  const noRemoteKeys: RemoteKeysQueryResult = { device_keys: {}, master_keys: {}, self_signing_keys: {}, failures: {} };

  return {
    /** POST /keys/query: local users from the database, others from their servers at the same time. */
    async query(requester: string, body: { device_keys?: unknown; timeout?: unknown }): Promise<KeysQueryResponse> {
      const requested = (body.device_keys ?? {}) as Record<string, unknown>;
      const { local, remote } = splitUsers("device_keys", requested);
      const remoteLists = deviceLists(requested, remote);
      const [mine, theirs] = await Promise.all([
        localKeys(requester, requested, local, { deviceNames: true }),
        remote.length > 0 && deps.remote ? deps.remote.query(Object.fromEntries(remoteLists), timeoutOf(body)) : noRemoteKeys,
      ]);
      return {
        device_keys: { ...mine.device_keys, ...theirs.device_keys },
        failures: theirs.failures,
        master_keys: { ...mine.master_keys, ...theirs.master_keys },
        self_signing_keys: { ...mine.self_signing_keys, ...theirs.self_signing_keys },
        user_signing_keys: mine.user_signing_keys,
      };
    },

    /** POST /keys/claim: local keys from the database, others from their servers at the same time. */
    async claim(body: { one_time_keys?: unknown; timeout?: unknown }): Promise<{ one_time_keys: OneTimeKeys; failures: Record<string, JsonObject> }> {
      const requested = (body.one_time_keys ?? {}) as Record<string, unknown>;
      const { local, remote } = splitUsers("one_time_keys", requested);
      claimRequests(requested, remote); // the shape is checked before other servers are asked
      const [mine, theirs] = await Promise.all([
        claimLocal(claimRequests(requested, local)),
        remote.length > 0 && deps.remote
          ? deps.remote.claim(Object.fromEntries(remote.map((id) => [id, requested[id] as Record<string, string>])), timeoutOf(body))
          : { one_time_keys: {}, failures: {} },
      ]);
      return { one_time_keys: { ...mine, ...theirs.one_time_keys }, failures: theirs.failures };
    },

    /** POST /_matrix/federation/v1/user/keys/query: keys of these local users, as another server sees them. */
    async queryForServer(device_keys: Record<string, unknown>): Promise<Omit<KeysQueryResponse, "failures" | "user_signing_keys">> {
      const { local, remote } = splitUsers("device_keys", device_keys);
      if (remote.length > 0) throw invalid(`${remote[0]} is not a user of this server`);
      // No requesting user: user-signing keys and signatures stay private.
      const { device_keys: keys, master_keys, self_signing_keys } = await localKeys("", device_keys, local, { deviceNames: false });
      return { device_keys: keys, master_keys, self_signing_keys };
    },

    /**
     * GET /_matrix/federation/v1/user/devices/{userId}. Limit: stream_id is the device list
     * stream's position when read (at or after the user's last change), not a per-user counter.
     */
    async devicesForServer(userId: string) {
      if (!isLocal(userId) || !isUserId(userId)) throw invalid(`${userId} is not a user of this server`);
      const streamId = await repo.maxPosition();
      const keys = await localKeys("", { [userId]: null }, [userId], { deviceNames: false });
      return {
        user_id: userId,
        stream_id: streamId,
        devices: Object.entries(keys.device_keys[userId] ?? {}).map(([device_id, deviceKeys]) => ({ device_id, keys: deviceKeys })),
        ...(keys.master_keys[userId] ? { master_key: keys.master_keys[userId] } : {}),
        ...(keys.self_signing_keys[userId] ? { self_signing_key: keys.self_signing_keys[userId] } : {}),
      };
    },

    /** POST /_matrix/federation/v1/user/keys/claim: users of other servers have no keys here. */
    async claimForServer(one_time_keys: Record<string, unknown>): Promise<{ one_time_keys: OneTimeKeys }> {
      return { one_time_keys: await claimLocal(claimRequests(one_time_keys, splitUsers("one_time_keys", one_time_keys).local)) };
    },
  };
}

function mergeSignatures(a: Signatures, b: Signatures): Signatures {
  const out: Signatures = { ...a };
  for (const [entity, sigs] of Object.entries(b)) out[entity] = { ...out[entity], ...sigs };
  return out;
}

export type KeysQuery = ReturnType<typeof createKeysQuery>;

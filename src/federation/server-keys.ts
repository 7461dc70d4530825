// Other servers' signing keys: a memory cache in front of the remote_server_keys table, filled
// from the server itself (GET /_matrix/key/v2/server) or, when that fails, from the notaries of
// trusted_key_servers (POST /_matrix/key/v2/query). Our own keys never go over the network.
// https://spec.matrix.org/v1.19/server-server-api/#retrieving-server-keys
// https://spec.matrix.org/v1.19/rooms/v5/#signing-key-validity-period
import type { ServerKeySource } from "../auth/server-key-source.ts";
import type { ServerKeys } from "../auth/server-keys.ts";
import type { Logger } from "../log/logger.ts";
import { decodeBase64 } from "../protocol/base64.ts";
import { parseServerName } from "../protocol/identifiers.ts";
import type { JsonObject } from "../protocol/signed-json.ts";
import type { RemoteServerKeyRow, ServerKeysRepo } from "../storage/repos/server-keys.ts";
import { checkKeyResponse, effectiveValidUntil, type KeyResponse, type KeyResponseChecker } from "./server-keys-response.ts";
import { notaryQuery } from "./server-keys-notary.ts";
import type { FederationTransport } from "./transport.ts";

/**
 * After a fetch of a server's keys (failed, or without the key asked for), no new fetch of that
 * server for this long: lookups of unknown key ids must not turn into a flood of requests.
 */
export const KEY_FETCH_RETRY_MS = 60_000;
/** Limit of one key request to a server or a notary. */
export const KEY_REQUEST_TIMEOUT_MS = 10_000;
/** Servers whose keys the memory cache holds; beyond, the least recently added are dropped (the table keeps them). */
export const MAX_CACHED_SERVERS = 10_000;

export interface TrustedKeyServer {
  server_name: string;
  /** Key id -> unpadded base64 public key; absent: the notary's answers are trusted through TLS. */
  verify_keys?: Record<string, string>;
}

export interface RemoteServerKeysOptions extends KeyResponseChecker {
  /** Our own keys: answered from here, never fetched. */
  own: Pick<ServerKeys, "serverName" | "keyResponse">;
  transport: FederationTransport;
  repo: ServerKeysRepo;
  trustedKeyServers: readonly TrustedKeyServer[];
  log: Logger;
  now?: () => number;
}

export interface RemoteServerKeys extends ServerKeySource {
  /**
   * The signed key responses of `serverName` this server can vouch for as a notary: responses it
   * got from the server itself, refetched from it when the cache lacks one of `keyIds` or is
   * older than half its life or valid for less than `minimumValidUntilTs`. Empty when unknown.
   */
  responsesFor(serverName: string, keyIds: readonly string[], minimumValidUntilTs: number): Promise<JsonObject[]>;
}

interface CachedKey {
  publicKey: Uint8Array;
  /** Effective validity (ms): expired_ts, or valid_until_ts capped at 7 days past the fetch. */
  validUntil: number;
}

interface ServerEntry {
  keys: Map<string, CachedKey>;
  /** The table's rows, read once per entry. */
  loaded: Promise<void>;
  lastFetch: number;
  fetching?: Promise<void>;
}

/** What a fetch tries to get; the notary is asked for exactly this. */
interface Wanted {
  keyId: string | null;
  validAt: number;
  notaries: boolean;
}

export function createRemoteServerKeys(options: RemoteServerKeysOptions): RemoteServerKeys {
  const { own, transport, repo, log } = options;
  const now = options.now ?? Date.now;
  const entries = new Map<string, ServerEntry>();
  const notaries = options.trustedKeyServers.map((notary) => ({
    name: notary.server_name,
    keys: notary.verify_keys
      ? new Map(Object.entries(notary.verify_keys).flatMap(([keyId, key]) => {
          const bytes = decodeBase64(key);
          return bytes?.length === 32 ? [[keyId, bytes] as const] : [];
        }))
      : null,
  }));

  let ownResponse: { json: JsonObject; keys: Map<string, CachedKey> } | null = null;
  /** Our keys, parsed from the response we publish (rebuilt by ServerKeys when half its life is past). */
  function ownKeys(): Map<string, CachedKey> {
    const json = own.keyResponse();
    if (ownResponse?.json !== json) {
      const parsed = checkKeyResponse(json, own.serverName, options);
      // Our current key is ours until it is replaced, whatever valid_until_ts we publish.
      const keys = new Map(parsed?.keys.map((key) => [key.keyId, { publicKey: key.publicKey, validUntil: key.expired ? key.validUntilTs : Infinity }]));
      ownResponse = { json, keys };
    }
    return ownResponse.keys;
  }

  function remember(entry: ServerEntry, key: { keyId: string; publicKey: Uint8Array; validUntilTs: number; expired: boolean }, fetchedTs: number) {
    entry.keys.set(key.keyId, { publicKey: key.publicKey, validUntil: effectiveValidUntil(key, fetchedTs) });
  }

  function entryOf(serverName: string): ServerEntry {
    let entry = entries.get(serverName);
    if (entry) return entry;
    if (entries.size >= MAX_CACHED_SERVERS) entries.delete(entries.keys().next().value!);
    const created: ServerEntry = { keys: new Map(), lastFetch: -Infinity, loaded: Promise.resolve() };
    created.loaded = repo.keysOf(serverName).then(
      (rows) => {
        for (const row of rows) {
          const publicKey = decodeBase64(row.verifyKey);
          // A key fetched since (this read raced a fetch) is newer than the table's.
          if (publicKey && !created.keys.has(row.keyId)) remember(created, { ...row, publicKey }, row.fetchedTs);
        }
      },
      (error) => log.warn("cannot read stored server keys", { server_name: serverName, error: String(error) }),
    );
    entries.set(serverName, (entry = created));
    return entry;
  }

  const usable = (entry: ServerEntry, keyId: string, validAt: number) => {
    const key = entry.keys.get(keyId);
    return key && key.validUntil >= validAt ? key.publicKey : null;
  };

  /** Keeps a verified response: in memory at once, then in the table. */
  async function store(entry: ServerEntry, response: KeyResponse, fromServer: string, fetchedTs: number) {
    for (const key of response.keys) remember(entry, key, fetchedTs);
    const keyJson = JSON.stringify(response.json);
    const rows: RemoteServerKeyRow[] = response.keys.map((key) => ({
      serverName: response.serverName, keyId: key.keyId, verifyKey: key.base64, validUntilTs: key.validUntilTs,
      expired: key.expired, fetchedTs, fromServer, keyJson,
    }));
    await repo.store(rows).catch((error) => log.warn("cannot store server keys", { server_name: response.serverName, error: String(error) }));
  }

  async function fetchDirect(serverName: string, entry: ServerEntry): Promise<void> {
    try {
      const json = await transport.unsigned(serverName, "/_matrix/key/v2/server", { timeoutMs: KEY_REQUEST_TIMEOUT_MS });
      const fetchedTs = now();
      const response = checkKeyResponse(json, serverName, options);
      if (response) await store(entry, response, serverName, fetchedTs);
      else log.info("refused a key response", { server_name: serverName, from: serverName });
    } catch (error) {
      log.info("cannot fetch server keys", { server_name: serverName, error: String(error) });
    }
  }

  async function fetchThroughNotaries(serverName: string, entry: ServerEntry, wanted: Wanted): Promise<void> {
    for (const notary of notaries) {
      if (notary.name === serverName || notary.name === own.serverName) continue;
      const responses = await notaryQuery({ transport, log, checker: options, now, timeoutMs: KEY_REQUEST_TIMEOUT_MS }, notary, serverName, wanted);
      for (const { response, fetchedTs } of responses) await store(entry, response, notary.name, fetchedTs);
      if (wanted.keyId === null ? responses.length > 0 : usable(entry, wanted.keyId, wanted.validAt)) return;
    }
  }

  /** One fetch per server at a time, and none within KEY_FETCH_RETRY_MS of the last. */
  async function refresh(serverName: string, entry: ServerEntry, wanted: Wanted): Promise<void> {
    if (entry.fetching) return entry.fetching;
    if (now() - entry.lastFetch < KEY_FETCH_RETRY_MS) return;
    entry.lastFetch = now();
    entry.fetching = (async () => {
      await fetchDirect(serverName, entry);
      const satisfied = wanted.keyId === null || usable(entry, wanted.keyId, wanted.validAt);
      if (!satisfied && wanted.notaries) await fetchThroughNotaries(serverName, entry, wanted);
    })()
      // Lookups answer null rather than fail, whatever went wrong.
      .catch((error) => log.warn("server key fetch failed", { server_name: serverName, error: String(error) }))
      .finally(() => (entry.fetching = undefined));
    return entry.fetching;
  }

  return {
    async verifyKey(serverName, keyId, validAt) {
      if (serverName === own.serverName) {
        const key = ownKeys().get(keyId);
        return key && key.validUntil >= validAt ? key.publicKey : null;
      }
      if (!parseServerName(serverName)) return null;
      const entry = entryOf(serverName);
      await entry.loaded;
      const cached = usable(entry, keyId, validAt);
      if (cached) return cached;
      await refresh(serverName, entry, { keyId, validAt, notaries: true });
      return usable(entry, keyId, validAt);
    },

    async responsesFor(serverName, keyIds, minimumValidUntilTs) {
      if (serverName === own.serverName) return [own.keyResponse()];
      if (!parseServerName(serverName)) return [];
      const time = now();
      // https://spec.matrix.org/v1.19/server-server-api/#get_matrixkeyv2server: notaries cache a response for half its life.
      const fresh = (row: RemoteServerKeyRow) =>
        row.expired || (row.validUntilTs >= minimumValidUntilTs && time < row.fetchedTs + (row.validUntilTs - row.fetchedTs) / 2);
      const direct = async () => (await repo.keysOf(serverName).catch(() => [])).filter((row) => row.fromServer === serverName);
      let rows = await direct();
      const byKey = new Map(rows.map((row) => [row.keyId, row]));
      const stale = keyIds.length === 0 ? !rows.some((row) => !row.expired && fresh(row)) : keyIds.some((keyId) => !byKey.has(keyId) || !fresh(byKey.get(keyId)!));
      if (stale) {
        const entry = entryOf(serverName);
        await entry.loaded;
        await refresh(serverName, entry, { keyId: null, validAt: minimumValidUntilTs, notaries: false });
        rows = await direct();
      }
      // Whatever the server last said, even if stale: old events still need checking.
      return [...new Set(rows.map((row) => row.keyJson))].map((text) => JSON.parse(text) as JsonObject);
    },
  };
}

/** Synapse's start-up warning about relying on matrix.org, unless suppress_key_server_warning. */
export function warnAboutDefaultKeyServer(config: { trusted_key_servers: readonly TrustedKeyServer[]; suppress_key_server_warning: boolean }, log: Logger) {
  if (config.suppress_key_server_warning || !config.trusted_key_servers.some((server) => server.server_name === "matrix.org")) return;
  log.warn(
    "This server is configured to use 'matrix.org' as its trusted key server (trusted_key_servers). It is a good choice, being long-lived, " +
      "stable and trusted, but you may wish to use another server. To keep matrix.org and silence this warning, set suppress_key_server_warning: true.",
  );
}

// The remote_server_keys table (schema/server-keys.ts): other servers' keys and the signed
// responses they came in. No Matrix rules here: src/federation/server-keys.ts verifies first.
import type { Db } from "../db.ts";

export interface RemoteServerKeyRow {
  serverName: string;
  keyId: string;
  verifyKey: string;
  validUntilTs: number;
  expired: boolean;
  fetchedTs: number;
  fromServer: string;
  keyJson: string;
}

const COLUMNS = `server_name as "serverName", key_id as "keyId", verify_key as "verifyKey",
  valid_until_ts::float8 as "validUntilTs", expired, fetched_ts::float8 as "fetchedTs", from_server as "fromServer", key_json as "keyJson"`;

export function createServerKeysRepo(db: Db) {
  const sql = db.$client;
  const columns = () => sql.unsafe(COLUMNS);
  return {
    /** Every stored key of `serverName`. */
    keysOf: (serverName: string) => sql<RemoteServerKeyRow[]>`select ${columns()} from remote_server_keys where server_name = ${serverName}`,

    /** Stores the keys of one verified response, replacing what was stored for the same key ids. */
    async store(rows: readonly RemoteServerKeyRow[]): Promise<void> {
      if (rows.length === 0) return;
      const values = rows.map((r) => ({
        server_name: r.serverName, key_id: r.keyId, verify_key: r.verifyKey, valid_until_ts: r.validUntilTs, expired: r.expired,
        fetched_ts: r.fetchedTs, from_server: r.fromServer, key_json: r.keyJson,
      }));
      await sql`
        insert into remote_server_keys ${sql(values)}
        on conflict (server_name, key_id) do update set verify_key = excluded.verify_key, valid_until_ts = excluded.valid_until_ts,
          expired = excluded.expired, fetched_ts = excluded.fetched_ts, from_server = excluded.from_server, key_json = excluded.key_json`;
    },
  };
}

export type ServerKeysRepo = ReturnType<typeof createServerKeysRepo>;

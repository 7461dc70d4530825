// Other servers' signing keys, as fetched from them or from a notary, and the signed responses
// they came in (a notary serves those again, countersigned).
// https://spec.matrix.org/v1.19/server-server-api/#retrieving-server-keys
import { bigint, boolean, pgTable, primaryKey, text } from "drizzle-orm/pg-core";

export const remoteServerKeys = pgTable(
  "remote_server_keys",
  {
    /** The server the key belongs to. */
    serverName: text("server_name").notNull(),
    /** e.g. "ed25519:a_AbCd". */
    keyId: text("key_id").notNull(),
    /** The public key, unpadded base64 as published. */
    verifyKey: text("verify_key").notNull(),
    /**
     * Last moment (ms) a signature by this key counts: the response's valid_until_ts for a key
     * in verify_keys, its expired_ts for one in old_verify_keys.
     */
    validUntilTs: bigint("valid_until_ts", { mode: "number" }).notNull(),
    /** Listed in old_verify_keys: validUntilTs is final and refetching will not extend it. */
    expired: boolean("expired").notNull(),
    /** When we received the response (ms); a current key counts at most 7 days past it. */
    fetchedTs: bigint("fetched_ts", { mode: "number" }).notNull(),
    /** Who answered: the server itself, or the notary that vouched for the response. */
    fromServer: text("from_server").notNull(),
    /**
     * The whole key response as received (JSON text, signatures included), so this server can
     * serve it again as a notary. Text rather than jsonb: jsonb refuses some valid JSON (\u0000).
     */
    keyJson: text("key_json").notNull(),
  },
  (t) => [primaryKey({ columns: [t.serverName, t.keyId] })],
);

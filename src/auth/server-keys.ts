// What this server publishes at /_matrix/key/v2/server, signed by its current key.
// https://spec.matrix.org/v1.19/server-server-api/#publishing-keys
import { encodeBase64 } from "../protocol/base64.ts";
import type { Ed25519 } from "../protocol/ed25519.ts";
import { signJson, type CanonicalEncoder, type JsonObject } from "../protocol/signed-json.ts";
import type { ServerSigningKey } from "./signing-key.ts";

export interface OldVerifyKey {
  key: string;
  expired_ts: number;
}

export interface ServerKeysOptions {
  serverName: string;
  signingKey: ServerSigningKey;
  oldKeys: Record<string, OldVerifyKey>;
  /** How long others may cache the response (config key_refresh_interval), ms. */
  validityMs: number;
  ed25519: Ed25519;
  canonicalJson: CanonicalEncoder;
  now?: () => number;
}

export interface ServerKeys {
  readonly serverName: string;
  readonly signingKey: ServerSigningKey;
  /** The signed key response; rebuilt when half its validity has passed, as notaries cache it. */
  keyResponse(): JsonObject;
  /** Signs any JSON object as this server with the current key. */
  sign<T extends JsonObject>(object: T): T & { signatures: Record<string, Record<string, string>> };
}

export function createServerKeys(options: ServerKeysOptions): ServerKeys {
  const now = options.now ?? Date.now;
  const sign = <T extends JsonObject>(object: T) =>
    signJson(object, options.serverName, options.signingKey, options.ed25519, options.canonicalJson);
  let cached: { response: JsonObject; refreshAt: number } | null = null;

  return {
    serverName: options.serverName,
    signingKey: options.signingKey,
    sign,
    keyResponse() {
      const time = now();
      if (cached && time < cached.refreshAt) return cached.response;
      const response = sign({
        server_name: options.serverName,
        verify_keys: { [options.signingKey.keyId]: { key: encodeBase64(options.signingKey.publicKey) } },
        old_verify_keys: options.oldKeys,
        valid_until_ts: time + options.validityMs,
      });
      cached = { response, refreshAt: time + options.validityMs / 2 };
      return response;
    },
  };
}

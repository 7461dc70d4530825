// Other servers' signing keys, as auth needs them to check X-Matrix requests (./x-matrix.ts) and
// signed events; federation (src/federation/server-keys.ts) fetches and caches them.
// https://spec.matrix.org/v1.19/server-server-api/#retrieving-server-keys
export interface ServerKeySource {
  /**
   * The public key (32 bytes) of `serverName`'s key `keyId`, if it is known or can be fetched and
   * was valid at `validAt` (ms since the epoch); null when it cannot be found or was not valid.
   */
  verifyKey(serverName: string, keyId: string, validAt: number): Promise<Uint8Array | null>;
}

// Ed25519 behind one small interface with two implementations: Bun's native one (BoringSSL,
// ~64 us per verify here) for throughput, and @noble/ed25519 (pure JS, audited) as an
// independent implementation the tests hold the native one against.
import { createHash, createPrivateKey, createPublicKey, sign, verify, type KeyObject } from "node:crypto";
import * as noble from "@noble/ed25519";

export interface Ed25519 {
  readonly name: string;
  /** The 32-byte public key of a 32-byte seed. */
  publicKey(seed: Uint8Array): Uint8Array;
  sign(seed: Uint8Array, message: Uint8Array): Uint8Array;
  /** False for a wrong signature, a malformed key or a signature of the wrong length. */
  verify(publicKey: Uint8Array, message: Uint8Array, signature: Uint8Array): boolean;
}

noble.hashes.sha512 = (message: Uint8Array) => new Uint8Array(createHash("sha512").update(message).digest());

export const nobleEd25519: Ed25519 = {
  name: "noble",
  publicKey: (seed) => noble.getPublicKey(seed),
  sign: (seed, message) => noble.sign(message, seed),
  verify: (publicKey, message, signature) => {
    if (publicKey.length !== 32 || signature.length !== 64) return false;
    try {
      return noble.verify(signature, message, publicKey);
    } catch {
      return false;
    }
  },
};

const b64url = (bytes: Uint8Array) => Buffer.from(bytes).toString("base64url");

// Key objects are costly to build and a server signs with one key all day: keep a few.
const privateKeys = new Map<string, KeyObject>();
const publicKeys = new Map<string, KeyObject>();
const KEY_CACHE_LIMIT = 1024;

function remember(cache: Map<string, KeyObject>, id: string, make: () => KeyObject): KeyObject {
  let key = cache.get(id);
  if (!key) {
    if (cache.size >= KEY_CACHE_LIMIT) cache.clear();
    key = make();
    cache.set(id, key);
  }
  return key;
}

function privateKeyOf(seed: Uint8Array): KeyObject {
  return remember(privateKeys, b64url(seed), () =>
    createPrivateKey({
      format: "jwk",
      key: { kty: "OKP", crv: "Ed25519", d: b64url(seed), x: b64url(noble.getPublicKey(seed)) },
    }),
  );
}

function publicKeyOf(publicKey: Uint8Array): KeyObject {
  return remember(publicKeys, b64url(publicKey), () =>
    createPublicKey({ format: "jwk", key: { kty: "OKP", crv: "Ed25519", x: b64url(publicKey) } }),
  );
}

export const nativeEd25519: Ed25519 = {
  name: "native",
  publicKey: (seed) => {
    const jwk = createPublicKey(privateKeyOf(seed)).export({ format: "jwk" });
    return new Uint8Array(Buffer.from(jwk.x as string, "base64url"));
  },
  sign: (seed, message) => new Uint8Array(sign(null, message, privateKeyOf(seed))),
  verify: (publicKey, message, signature) => {
    if (publicKey.length !== 32 || signature.length !== 64) return false;
    try {
      return verify(null, message, publicKeyOf(publicKey), signature);
    } catch {
      return false;
    }
  },
};

// The server's Ed25519 signing key in Synapse's key-file format, so a key file moves between
// Synapse and Myelin unchanged: one line per key, "ed25519 <version> <unpadded base64 seed>".
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname } from "node:path";
import { decodeBase64, encodeBase64 } from "../protocol/base64.ts";
import type { Ed25519 } from "../protocol/ed25519.ts";

export interface ServerSigningKey {
  /** "ed25519:<version>" */
  keyId: string;
  seed: Uint8Array;
  publicKey: Uint8Array;
}

export class SigningKeyError extends Error {
  override name = "SigningKeyError";
}

const VERSION_ALPHABET = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";

/** A new key with a Synapse-style version ("a_" and four random characters). */
export function generateSigningKey(ed25519: Ed25519): ServerSigningKey {
  const random = crypto.getRandomValues(new Uint8Array(4));
  const version = "a_" + Array.from(random, (byte) => VERSION_ALPHABET[byte % VERSION_ALPHABET.length]).join("");
  const seed = crypto.getRandomValues(new Uint8Array(32));
  return { keyId: `ed25519:${version}`, seed, publicKey: ed25519.publicKey(seed) };
}

export function formatKeyFile(keys: readonly ServerSigningKey[]): string {
  return keys.map((key) => `ed25519 ${key.keyId.slice("ed25519:".length)} ${encodeBase64(key.seed)}\n`).join("");
}

export function parseKeyFile(text: string, path: string, ed25519: Ed25519): ServerSigningKey[] {
  const keys: ServerSigningKey[] = [];
  text.split("\n").forEach((line, index) => {
    if (!line.trim()) return;
    const [algorithm, version, encoded, ...rest] = line.trim().split(/\s+/);
    const seed = encoded ? decodeBase64(encoded) : null;
    if (algorithm !== "ed25519" || !version || !/^[A-Za-z0-9_]+$/.test(version) || rest.length > 0 || !seed || seed.length !== 32) {
      throw new SigningKeyError(`${path}:${index + 1}: expected "ed25519 <version> <base64 32-byte seed>"`);
    }
    keys.push({ keyId: `ed25519:${version}`, seed, publicKey: ed25519.publicKey(seed) });
  });
  if (keys.length === 0) throw new SigningKeyError(`${path}: holds no key`);
  return keys;
}

/**
 * The signing key at `path`, created (mode 0600) on first start as Synapse does. The first key
 * in the file signs; a file with several keys keeps the others readable for tools.
 */
export function loadOrCreateSigningKey(path: string, ed25519: Ed25519): { key: ServerSigningKey; created: boolean } {
  if (existsSync(path)) {
    let text: string;
    try {
      text = readFileSync(path, "utf8");
    } catch (cause) {
      throw new SigningKeyError(`cannot read signing key ${path}: ${(cause as NodeJS.ErrnoException).code ?? cause}`);
    }
    return { key: parseKeyFile(text, path, ed25519)[0]!, created: false };
  }
  const key = generateSigningKey(ed25519);
  try {
    mkdirSync(dirname(path), { recursive: true });
    // "wx": never overwrite a key another process wrote in the meantime.
    writeFileSync(path, formatKeyFile([key]), { mode: 0o600, flag: "wx" });
    chmodSync(path, 0o600);
  } catch (cause) {
    throw new SigningKeyError(`cannot write signing key ${path}: ${(cause as NodeJS.ErrnoException).code ?? cause}`);
  }
  return { key, created: true };
}

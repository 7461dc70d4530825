// The signing key file: Synapse's format, created on first start with mode 0600, errors named.
import { afterAll, expect, test } from "bun:test";
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { loadOrCreateSigningKey, parseKeyFile, SigningKeyError } from "../../src/auth/signing-key.ts";
import { decodeBase64, encodeBase64 } from "../../src/protocol/base64.ts";
import { nativeEd25519, nobleEd25519 } from "../../src/protocol/ed25519.ts";

const dir = mkdtempSync(join(tmpdir(), "myelin-key-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

test("first start creates a Synapse-format key file, mode 0600; later starts read the same key", () => {
  const path = join(dir, "nested", "example.org.signing.key");
  const first = loadOrCreateSigningKey(path, nativeEd25519);
  expect(first.created).toBe(true);
  expect(statSync(path).mode & 0o777).toBe(0o600);
  const line = readFileSync(path, "utf8");
  expect(line).toMatch(/^ed25519 a_[A-Za-z0-9]{4} [A-Za-z0-9+/]{43}\n$/);
  const second = loadOrCreateSigningKey(path, nativeEd25519);
  expect(second.created).toBe(false);
  expect(second.key.keyId).toBe(first.key.keyId);
  expect(second.key.seed).toEqual(first.key.seed);
  expect(second.key.publicKey).toEqual(nobleEd25519.publicKey(first.key.seed));
});

test("reads a key file written by Synapse (the spec's test seed)", () => {
  const [key] = parseKeyFile("ed25519 a_synapse YJDBA9Xnr2sVqXD9Vj7XVUnmFZcZrlw8Md7kMW+3XA1\n", "k", nativeEd25519);
  expect(key!.keyId).toBe("ed25519:a_synapse");
  expect(key!.seed).toEqual(decodeBase64("YJDBA9Xnr2sVqXD9Vj7XVUnmFZcZrlw8Md7kMW+3XA1")!);
  expect(encodeBase64(key!.publicKey)).toBe(encodeBase64(nobleEd25519.publicKey(key!.seed)));
});

test("a malformed key file is refused with its path and line", () => {
  for (const text of ["", "ed25519 a_x notbase64!\n", "rsa a_x YJDBA9Xnr2sVqXD9Vj7XVUnmFZcZrlw8Md7kMW+3XA1\n", "ed25519 a-x YJDBA9Xnr2sVqXD9Vj7XVUnmFZcZrlw8Md7kMW+3XA1\n", "ed25519 a_x Zm9v\n"]) {
    const path = join(dir, "bad.key");
    writeFileSync(path, text);
    expect(() => loadOrCreateSigningKey(path, nativeEd25519)).toThrow(SigningKeyError);
    expect(() => loadOrCreateSigningKey(path, nativeEd25519)).toThrow(path);
  }
});

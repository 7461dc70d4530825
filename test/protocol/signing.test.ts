// The spec's cryptographic test vectors, with both Ed25519 implementations:
// https://spec.matrix.org/v1.19/appendices/#cryptographic-test-vectors
import { describe, expect, test } from "bun:test";
import { decodeBase64, decodeBase64Url, encodeBase64, encodeBase64Url } from "../../src/protocol/base64.ts";
import { nativeEd25519, nobleEd25519 } from "../../src/protocol/ed25519.ts";
import { signJson, verifyJsonSignature } from "../../src/protocol/signed-json.ts";

const SEED = decodeBase64("YJDBA9Xnr2sVqXD9Vj7XVUnmFZcZrlw8Md7kMW+3XA1")!;
const KEY = { keyId: "ed25519:1", seed: SEED };

describe("unpadded base64", () => {
  test("spec examples", () => {
    const cases: [string, string][] = [
      ["", ""], ["f", "Zg"], ["fo", "Zm8"], ["foo", "Zm9v"], ["foob", "Zm9vYg"], ["fooba", "Zm9vYmE"], ["foobar", "Zm9vYmFy"],
    ];
    for (const [plain, encoded] of cases) {
      expect(encodeBase64(new TextEncoder().encode(plain))).toBe(encoded);
      expect(new TextDecoder().decode(decodeBase64(encoded)!)).toBe(plain);
    }
  });
  test("padded input is accepted, garbage is refused", () => {
    expect(decodeBase64("Zm8=")).toEqual(new TextEncoder().encode("fo"));
    expect(decodeBase64("Zm9v!")).toBeNull();
    expect(decodeBase64("Z")).toBeNull();
    expect(decodeBase64("Zm8=a")).toBeNull();
    expect(decodeBase64("Zg=")).toBeNull();
    expect(decodeBase64("a-_b")).toBeNull();
  });
  test("url-safe alphabet", () => {
    const bytes = new Uint8Array([0xfb, 0xff, 0xfe]);
    expect(encodeBase64(bytes)).toBe("+//+");
    expect(encodeBase64Url(bytes)).toBe("-__-");
    expect(decodeBase64Url("-__-")).toEqual(bytes);
    expect(decodeBase64Url("+//+")).toBeNull();
  });
});

for (const ed of [nativeEd25519, nobleEd25519]) {
  describe(`JSON signing with ${ed.name} Ed25519`, () => {
    test("empty object", () => {
      expect(signJson({}, "domain", KEY, ed)).toEqual({
        signatures: { domain: { "ed25519:1": "K8280/U9SSy9IVtjBuVeLr+HpOB4BQFWbg+UZaADMtTdGYI7Geitb76LTrr5QV/7Xg4ahLwYGYZzuHGZKM5ZAQ" } },
      });
    });
    test("object with data", () => {
      expect(signJson({ one: 1, two: "Two" }, "domain", KEY, ed)).toEqual({
        one: 1,
        two: "Two",
        signatures: { domain: { "ed25519:1": "KqmLSbO39/Bzb0QIYE82zqLwsA+PDzYIpIRA2sRQ4sL53+sN6/fpNSoqE7BP7vBZhG6kYdD13EIMJpvhJI+6Bw" } },
      });
    });
    test("verify accepts its signature and refuses tampering", () => {
      const publicKey = ed.publicKey(SEED);
      const signed = signJson({ one: 1, unsigned: { age: 5 } }, "domain", KEY, ed);
      expect(verifyJsonSignature(signed, "domain", "ed25519:1", publicKey, ed)).toEqual({ ok: true });
      // unsigned is not covered by the signature
      expect(verifyJsonSignature({ ...signed, unsigned: { age: 6 } }, "domain", "ed25519:1", publicKey, ed).ok).toBe(true);
      expect(verifyJsonSignature({ ...signed, one: 2 }, "domain", "ed25519:1", publicKey, ed)).toEqual({ ok: false, reason: "invalid" });
      expect(verifyJsonSignature(signed, "other", "ed25519:1", publicKey, ed)).toEqual({ ok: false, reason: "missing" });
      const garbled = { ...signed, signatures: { domain: { "ed25519:1": "not base64!" } } };
      expect(verifyJsonSignature(garbled, "domain", "ed25519:1", publicKey, ed)).toEqual({ ok: false, reason: "malformed" });
      expect(ed.verify(publicKey.slice(0, 31), new Uint8Array(), new Uint8Array(64))).toBe(false);
    });
  });
}

test("native and noble agree on keys and signatures", () => {
  for (let i = 0; i < 20; i++) {
    const seed = crypto.getRandomValues(new Uint8Array(32));
    const message = crypto.getRandomValues(new Uint8Array(i * 7));
    expect(nativeEd25519.publicKey(seed)).toEqual(nobleEd25519.publicKey(seed));
    const signature = nativeEd25519.sign(seed, message);
    expect(signature).toEqual(nobleEd25519.sign(seed, message));
    expect(nobleEd25519.verify(nobleEd25519.publicKey(seed), message, signature)).toBe(true);
  }
});

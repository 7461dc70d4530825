// Canonical JSON in both implementations: the Rust core through the engine
// (src/engine/) and the TypeScript reference (src/protocol/canonical-json.ts).
// They must agree byte for byte, on the spec's examples, on generated values, and on
// what they refuse. Cases shared with the Rust tests live in wasm/tests/fixtures/.
import { beforeAll, describe, expect, test } from "bun:test";
import fixture from "../../wasm/tests/fixtures/canonical_json.json";
import { loadEngine, type Engine } from "../../src/engine/index.ts";
import { loadWasmCore, WasmOperationError, type WasmCore } from "../../src/engine/wasm-module.ts";
import * as reference from "../../src/protocol/canonical-json.ts";
import { CanonicalJsonError } from "../../src/protocol/canonical-json.ts";
import { JsonGenerator } from "./random-json.ts";

let engine: Engine;
let core: WasmCore;
beforeAll(async () => {
  [engine, core] = await Promise.all([loadEngine(), loadWasmCore()]);
});

const utf8 = { encode: new TextEncoder(), decode: new TextDecoder() };
/** The wasm operation on raw JSON text, bypassing the engine's JSON.stringify step. */
const wasmText = (text: string) => utf8.decode.decode(core.call("canonical_json", utf8.encode.encode(text)));

/** Both implementations' bytes for `value`, or the error each threw. */
function both(value: unknown): { wasm: Uint8Array | Error; ts: Uint8Array | Error } {
  const attempt = (encode: (v: unknown) => Uint8Array) => {
    try {
      return encode(value);
    } catch (error) {
      return error as Error;
    }
  };
  return { wasm: attempt(engine.canonicalJsonBytes), ts: attempt(reference.canonicalJsonBytes) };
}

describe("fixture cases (shared with cargo test)", () => {
  test.each(fixture.valid)("$name", ({ input, expected }) => {
    expect(wasmText(input)).toBe(expected);
    expect(engine.canonicalJson(JSON.parse(input))).toBe(expected);
    expect(reference.canonicalJson(JSON.parse(input))).toBe(expected);
    expect(utf8.decode.decode(engine.canonicalJsonBytes(JSON.parse(input)))).toBe(expected);
  });

  test.each(fixture.invalid)("rejects $name", ({ input }) => {
    expect(() => wasmText(input)).toThrow(WasmOperationError);
    expect(() => engine.canonicalJson(JSON.parse(input))).toThrow(CanonicalJsonError);
    expect(() => reference.canonicalJson(JSON.parse(input))).toThrow(CanonicalJsonError);
  });

  test.each(fixture.malformed)("wasm refuses malformed text: $name", ({ input }) => {
    expect(() => wasmText(input)).toThrow(WasmOperationError);
  });

  test("the fixture holds the spec's ten examples", () => {
    expect(fixture.valid.filter((c) => c.name.startsWith("spec example"))).toHaveLength(10);
  });
});

describe("wasm and TypeScript agree", () => {
  test("byte for byte on generated values", () => {
    let objects = 0;
    for (let seed = 1; seed <= 3000; seed++) {
      const value = new JsonGenerator(seed).value();
      const { wasm, ts } = both(value);
      if (!(wasm instanceof Uint8Array) || !(ts instanceof Uint8Array) || !Buffer.from(wasm).equals(Buffer.from(ts))) {
        throw new Error(`seed ${seed}: wasm ${String(wasm instanceof Uint8Array ? utf8.decode.decode(wasm) : wasm)}, ts ${String(ts instanceof Uint8Array ? utf8.decode.decode(ts) : ts)}`);
      }
      // Independent of both encoders: the text means the same value (up to -0).
      expect(JSON.parse(utf8.decode.decode(wasm))).toEqual(JSON.parse(JSON.stringify(value)));
      if (value !== null && typeof value === "object" && !Array.isArray(value)) objects++;
    }
    expect(objects).toBeGreaterThan(500); // the generator really produces nested objects
  });

  test("on reformatted text fed straight to wasm", () => {
    for (let seed = 5001; seed <= 5500; seed++) {
      const value = new JsonGenerator(seed).value();
      expect(wasmText(JSON.stringify(value, null, seed % 2 ? 2 : "\t"))).toBe(reference.canonicalJson(value));
    }
  });

  test("on keys whose code point and UTF-16 orders differ", () => {
    const value = { "\u{10000}": 1, "\uffff": 2, "\ue000": 3, "\u{1f600}": 4, z: 5, "": 6 };
    const expected = '{"":6,"z":5,"\ue000":3,"\uffff":2,"\u{10000}":1,"\u{1f600}":4}';
    expect(engine.canonicalJson(value)).toBe(expected);
    expect(reference.canonicalJson(value)).toBe(expected);
  });

  test("on integer-valued floats, -0 and the edges of the safe range", () => {
    const value = [-0, 1e10, 2 ** 53 - 1, -(2 ** 53) + 1, 1e15, 4.0];
    const expected = "[0,10000000000,9007199254740991,-9007199254740991,1000000000000000,4]";
    expect(engine.canonicalJson(value)).toBe(expected);
    expect(reference.canonicalJson(value)).toBe(expected);
  });

  test("on undefined (left out of objects, null in arrays) and odd objects", () => {
    const values = [{ a: undefined, b: [undefined, 1] }, [1, , 3], { d: new Date(0), m: new Map([["k", 1]]) }, Object.create(null)];
    for (const value of values) expect(engine.canonicalJson(value)).toBe(reference.canonicalJson(value));
  });
});

describe("both reject the same values", () => {
  const bad: [string, unknown][] = [
    ["1.5", 1.5],
    ["2^53", 2 ** 53],
    ["-(2^53)", -(2 ** 53)],
    ["1e21", 1e21],
    ["the smallest double", 5e-324],
    ["NaN", NaN],
    ["Infinity", Infinity],
    ["-Infinity", -Infinity],
    ["a lone high surrogate", "\ud800"],
    ["a lone low surrogate", "a\udc00b"],
    ["reversed surrogates", "\udc00\ud800"],
    ["a bigint", 10n],
    ["a function", () => 1],
    ["a symbol", Symbol("s")],
    ["an own toJSON method", { toJSON: () => 1 }],
  ];

  test.each(bad)("%s, at the top and planted in generated values", (_, leaf) => {
    expect(both(leaf).wasm).toBeInstanceOf(CanonicalJsonError);
    expect(both(leaf).ts).toBeInstanceOf(CanonicalJsonError);
    for (let seed = 1; seed <= 50; seed++) {
      const generator = new JsonGenerator(seed);
      const value = generator.plant(generator.value(3), leaf);
      const { wasm, ts } = both(value);
      if (!(wasm instanceof CanonicalJsonError) || !(ts instanceof CanonicalJsonError)) {
        throw new Error(`seed ${seed}: wasm gave ${String(wasm)}, ts gave ${String(ts)}`);
      }
    }
  });

  test("a lone surrogate in a key", () => {
    expect(both({ "\ud800": 1 }).wasm).toBeInstanceOf(CanonicalJsonError);
    expect(both({ "\ud800": 1 }).ts).toBeInstanceOf(CanonicalJsonError);
  });

  test("undefined on its own", () => {
    expect(both(undefined).wasm).toBeInstanceOf(CanonicalJsonError);
    expect(both(undefined).ts).toBeInstanceOf(CanonicalJsonError);
  });
});

describe("the wasm module survives bad input", () => {
  test("errors, deep nesting and large inputs never trap", () => {
    expect(() => wasmText("[".repeat(1_000_000))).toThrow(WasmOperationError);
    expect(() => wasmText("\"\\ud800\"")).toThrow(WasmOperationError);
    const big = { list: Array.from({ length: 50_000 }, (_, i) => ({ ["k" + (i % 97)]: "v".repeat(i % 50), i })) };
    expect(engine.canonicalJson(big)).toBe(reference.canonicalJson(big));
    expect(engine.canonicalJson({ still: "working" })).toBe('{"still":"working"}');
  });

  test("invalid UTF-8 is an error, not a crash", () => {
    expect(() => core.call("canonical_json", new Uint8Array([0x22, 0xff, 0x22]))).toThrow(WasmOperationError);
    expect(() => core.call("canonical_json", new Uint8Array([0x22, 0xed, 0xa0, 0x80, 0x22]))).toThrow(WasmOperationError);
  });
});

// One engine (one wasm instance) for every test server of a `bun test` process. Each instance
// holds a WebAssembly.Memory; past a few dozen live ones JavaScriptCore gives new instances
// memories that copy themselves on every growth, and a large state resolution in a fresh
// instance then took minutes instead of a second. A server has one engine in production too.
import { loadEngine, type Engine } from "../../src/engine/index.ts";

const holder = globalThis as typeof globalThis & { __myelinTestEngine?: Promise<Engine> };

export function sharedEngine(): Promise<Engine> {
  return (holder.__myelinTestEngine ??= loadEngine());
}

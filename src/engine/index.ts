// The engine: Myelin's typed facade over the Rust core in wasm/ (see ARCHITECTURE.md).
// Create it once with loadEngine() in the composition root and pass it to whoever needs it.
import { CanonicalJsonError } from "../protocol/canonical-json.ts";
import { toJsonText } from "./json-text.ts";
import { readRoomVersions, type RoomVersionRules } from "./room-versions.ts";
import { loadWasmCore, WasmOperationError, type WasmCore } from "./wasm-module.ts";

export interface Engine {
  /** Canonical JSON text of `value`; throws CanonicalJsonError if it cannot be encoded. */
  canonicalJson(value: unknown): string;
  /** Canonical JSON as the UTF-8 bytes that are hashed and signed. */
  canonicalJsonBytes(value: unknown): Uint8Array;
  /** Every room version the core knows, by id, with its rule flags. */
  readonly roomVersions: ReadonlyMap<string, RoomVersionRules>;
}

export type { RoomVersionRules } from "./room-versions.ts";

/** Reads and compiles wasm/myelin_core.wasm (embedded in compiled binaries) into an Engine. */
export async function loadEngine(): Promise<Engine> {
  return createEngine(await loadWasmCore());
}

const utf8 = { encode: new TextEncoder(), decode: new TextDecoder() };

export function createEngine(core: WasmCore): Engine {
  const canonicalJsonBytes = (value: unknown): Uint8Array => {
    try {
      return core.call("canonical_json", utf8.encode.encode(toJsonText(value)));
    } catch (error) {
      if (error instanceof WasmOperationError) throw new CanonicalJsonError(error.message);
      throw error;
    }
  };
  return {
    canonicalJson: (value) => utf8.decode.decode(canonicalJsonBytes(value)),
    canonicalJsonBytes,
    roomVersions: readRoomVersions(core),
  };
}

// Loads wasm/myelin_core.wasm and calls its operations over the byte-buffer ABI that
// wasm/src/abi.rs defines: the input is copied into memory from myelin_alloc, the
// operation returns [u32 LE status][u32 LE length][bytes] (status 0 ok, 1 error message),
// and both buffers are freed here. Only src/engine/ imports this file.
import wasmPath from "../../wasm/myelin_core.wasm" with { type: "file" };

/** The operations the module exports, each `name(ptr, len) -> result`. */
export type Operation = "canonical_json" | "room_versions";
const OPERATIONS: readonly Operation[] = ["canonical_json", "room_versions"];

/** An operation refused its input; `message` is the module's explanation. */
export class WasmOperationError extends Error {
  override name = "WasmOperationError";
  constructor(
    readonly operation: Operation,
    message: string,
  ) {
    super(message);
  }
}

export interface WasmCore {
  /** Runs `operation` on `input` and returns its payload; throws WasmOperationError on status 1. */
  call(operation: Operation, input: Uint8Array): Uint8Array;
}

interface Exports {
  memory: WebAssembly.Memory;
  myelin_alloc(len: number): number;
  myelin_free(ptr: number, len: number): void;
  myelin_free_result(ptr: number): void;
  [operation: string]: unknown;
}

const STATUS_OK = 0;
const STATUS_ERROR = 1;
const HEADER = 8;
const utf8 = new TextDecoder("utf-8", { fatal: true });

/** Reads and compiles the module; call once at startup and share the result. */
export async function loadWasmCore(path: string = wasmPath): Promise<WasmCore> {
  const module = await WebAssembly.compile(await Bun.file(path).bytes());
  return createWasmCore(module);
}

export function createWasmCore(module: WebAssembly.Module): WasmCore {
  let exports = instantiate(module);
  return {
    call(operation, input) {
      try {
        return call(exports, operation, input);
      } catch (error) {
        // A trap (a bug or out of memory in Rust) can leave the allocator half-updated:
        // start over with a fresh instance rather than keep using that memory.
        if (error instanceof WebAssembly.RuntimeError) exports = instantiate(module);
        throw error;
      }
    },
  };
}

function instantiate(module: WebAssembly.Module): Exports {
  const exports = new WebAssembly.Instance(module, {}).exports as Exports;
  const functions = ["myelin_alloc", "myelin_free", "myelin_free_result", ...OPERATIONS];
  const missing = functions.filter((name) => typeof exports[name] !== "function");
  if (!(exports.memory instanceof WebAssembly.Memory) || missing.length > 0) {
    throw new Error(`wasm/myelin_core.wasm lacks ${["memory", ...missing].join(", ")}: rebuild it with scripts/build-wasm`);
  }
  return exports;
}

function call(exports: Exports, operation: Operation, input: Uint8Array): Uint8Array {
  // Pointers come back as signed i32: `>>> 0` keeps addresses above 2 GiB positive.
  const inputPtr = exports.myelin_alloc(input.length) >>> 0;
  if (inputPtr === 0) throw new Error(`${operation}: the wasm module is out of memory`);
  let resultPtr: number;
  try {
    // Take memory.buffer afresh after every call into wasm: growing memory detaches the old one.
    new Uint8Array(exports.memory.buffer, inputPtr, input.length).set(input);
    resultPtr = (exports[operation] as (ptr: number, len: number) => number)(inputPtr, input.length) >>> 0;
  } finally {
    exports.myelin_free(inputPtr, input.length);
  }
  if (resultPtr === 0) throw new Error(`${operation}: the wasm module is out of memory`);
  const header = new DataView(exports.memory.buffer, resultPtr, HEADER);
  const status = header.getUint32(0, true);
  const bytes = new Uint8Array(exports.memory.buffer, resultPtr + HEADER, header.getUint32(4, true)).slice();
  exports.myelin_free_result(resultPtr);
  if (status === STATUS_OK) return bytes;
  if (status === STATUS_ERROR) throw new WasmOperationError(operation, utf8.decode(bytes));
  throw new Error(`${operation}: unknown status ${status} from the wasm module`);
}

// Loads wasm/myelin_core.wasm and calls its operations over the byte-buffer ABI that
// wasm/src/abi.rs defines: the input is copied into memory from myelin_alloc, the
// operation returns [u32 LE status][u32 LE length][bytes] (status 0 ok, 1 error message),
// and both buffers are freed here. Only src/engine/ imports this file.
import wasmPath from "../../wasm/myelin_core.wasm" with { type: "file" };

/** The operations the module exports, each `name(ptr, len) -> result`. */
export type Operation =
  | "canonical_json"
  | "room_versions"
  | "event_auth_types"
  | "event_auth_check"
  | "event_auth_check_batch"
  | "event_validate"
  | "event_hashes"
  | "event_redact"
  | "event_prepare"
  | "event_inspect"
  | "push_default_rules"
  | "push_effective_rules"
  | "push_evaluate"
  | "push_prepare"
  | "push_release"
  | "resolve_state";
const OPERATIONS: readonly Operation[] = [
  "canonical_json",
  "room_versions",
  "event_auth_types",
  "event_auth_check",
  "event_auth_check_batch",
  "event_validate",
  "event_hashes",
  "event_redact",
  "event_prepare",
  "event_inspect",
  "push_default_rules",
  "push_effective_rules",
  "push_evaluate",
  "push_prepare",
  "push_release",
  "resolve_state",
];

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

/**
 * The module panicked (a bug in Rust): `message` is the panic's own text, read from the
 * module after the trap (wasm/src/panic_report.rs). The instance was replaced by a fresh one,
 * so the next call works.
 */
export class WasmPanicError extends Error {
  override name = "WasmPanicError";
  constructor(
    readonly operation: string,
    message: string,
    options?: ErrorOptions,
  ) {
    super(`${operation}: the wasm module panicked: ${message}`, options);
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
  /** Points to the last panic's message as [u32 LE length][bytes]; modules before it lack it. */
  myelin_last_panic?: () => number;
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
        // start over with a fresh instance rather than keep using that memory. A panic left
        // its message behind first: report it.
        if (error instanceof WebAssembly.RuntimeError) {
          const panic = lastPanic(exports);
          exports = instantiate(module);
          if (panic !== null) throw new WasmPanicError(operation, panic, { cause: error });
        }
        throw error;
      }
    },
  };
}

/** The message the panic hook stored, read from the trapped instance's memory; null if none. */
function lastPanic(exports: Exports): string | null {
  if (typeof exports.myelin_last_panic !== "function") return null;
  try {
    const ptr = exports.myelin_last_panic() >>> 0;
    const length = new DataView(exports.memory.buffer, ptr, 4).getUint32(0, true);
    if (length === 0) return null;
    return new TextDecoder().decode(new Uint8Array(exports.memory.buffer, ptr + 4, length));
  } catch {
    return null;
  }
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

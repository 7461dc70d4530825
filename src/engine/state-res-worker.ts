// The worker side of ./state-res-worker-client.ts: its own instance of the wasm module, so a
// long resolution (a fork storm) runs off the main thread. One request at a time, in order.
import { loadWasmCore, WasmOperationError } from "./wasm-module.ts";

declare const self: Worker;

export interface WorkerRequest {
  id: number;
  payload: Uint8Array;
}

export type WorkerReply = { id: number; bytes: Uint8Array } | { id: number; error: string; refused: boolean };

const core = loadWasmCore();

self.onmessage = async (message: MessageEvent<WorkerRequest>) => {
  const { id, payload } = message.data;
  try {
    const bytes = (await core).call("resolve_state", payload);
    self.postMessage({ id, bytes } satisfies WorkerReply, [bytes.buffer as ArrayBuffer]);
  } catch (error) {
    const refused = error instanceof WasmOperationError;
    self.postMessage({ id, error: error instanceof Error ? error.message : String(error), refused } satisfies WorkerReply);
  }
};

// State resolution in a Bun Worker (./state-res-worker.ts, with its own wasm instance): for
// resolutions large enough to block the event loop (a fork storm of thousands of conflicted
// events). The preparation (./state-res.ts) still runs here, since it reads the caller's
// events, but in slices of at most `sliceMs` between which the event loop runs; the engine's
// part runs in the worker. Results are the same as Engine.resolveState's.
import {
  MAX_CALLS,
  runInSlices,
  StateResolution,
  rulesOf,
  type ResolutionRules,
  type ResolvedState,
  type StateResolutionInput,
} from "./state-res.ts";
import type { WorkerReply, WorkerRequest } from "./state-res-worker.ts";
import { WasmOperationError } from "./wasm-module.ts";
import { workerSpecifier } from "./worker-entry.ts";

export interface StateResolutionWorker {
  resolveState(input: StateResolutionInput): Promise<ResolvedState>;
  /** Stops the worker; pending resolutions fail. */
  terminate(): void;
}

export interface StateResolutionWorkerOptions {
  /** The longest the preparation runs before giving the event loop a turn (default 5 ms). */
  sliceMs?: number;
}

export function createStateResolutionWorker(
  roomVersions: ReadonlyMap<string, ResolutionRules>,
  options: StateResolutionWorkerOptions = {},
): StateResolutionWorker {
  const sliceMs = options.sliceMs ?? 5;
  const worker = new Worker(workerSpecifier(import.meta.url, "src/engine/state-res-worker.ts"));
  const pending = new Map<number, { resolve(bytes: Uint8Array): void; reject(error: Error): void }>();
  let nextId = 1;
  let closed = false;
  worker.onmessage = (message: MessageEvent<WorkerReply>) => {
    const reply = message.data;
    const waiting = pending.get(reply.id);
    if (!waiting) return;
    pending.delete(reply.id);
    if ("bytes" in reply) waiting.resolve(reply.bytes);
    else waiting.reject(reply.refused ? new WasmOperationError("resolve_state", reply.error) : new Error(reply.error));
  };
  worker.onerror = (event) => failAll(new Error(`state resolution worker: ${event.message}`));
  // Idle, the worker must not keep the process alive.
  worker.unref();

  function failAll(error: Error) {
    for (const waiting of pending.values()) waiting.reject(error);
    pending.clear();
  }

  function call(payload: Uint8Array): Promise<Uint8Array> {
    if (closed) return Promise.reject(new Error("state resolution worker: terminated"));
    const id = nextId++;
    return new Promise((resolve, reject) => {
      pending.set(id, { resolve, reject });
      worker.ref();
      worker.postMessage({ id, payload } satisfies WorkerRequest, [payload.buffer as ArrayBuffer]);
    }).finally(() => {
      if (pending.size === 0) worker.unref();
    }) as Promise<Uint8Array>;
  }

  return {
    async resolveState(input) {
      const resolution = new StateResolution(input, rulesOf(roomVersions, input.roomVersion));
      await runInSlices(resolution.prepare(), sliceMs);
      if (resolution.trivial) return resolution.trivialResult();
      for (let round = 0; round < MAX_CALLS; round++) {
        const request = await runInSlices(resolution.requestSteps(), sliceMs);
        const result = await runInSlices(resolution.answerSteps(await call(request)), sliceMs);
        if (result) return result;
      }
      throw new Error(`state resolution: no answer after ${MAX_CALLS} calls`);
    },
    terminate() {
      closed = true;
      failAll(new Error("state resolution worker: terminated"));
      worker.terminate();
    },
  };
}

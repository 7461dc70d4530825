// Makes thumbnails in a Bun Worker (./thumbnail-worker.ts), so a large image does not stall
// every other request while it is decoded. The worker is started on first use and does not keep
// the process alive while idle.
import { workerSpecifier } from "../engine/worker-entry.ts";
import { ImageError, type ImageType, type Region } from "./image.ts";
import type { ThumbnailJob, ThumbnailReply } from "./thumbnail-worker.ts";

export interface ThumbnailRender {
  (job: { type: ImageType; bytes: Uint8Array; maxPixels: number; region: Region; width: number; height: number }): Promise<Uint8Array>;
}

export function createThumbnailWorker(): { render: ThumbnailRender; terminate(): void } {
  let worker: Worker | null = null;
  const pending = new Map<number, { resolve(bytes: Uint8Array): void; reject(error: Error): void }>();
  let nextId = 1;

  function failAll(error: Error) {
    for (const waiting of pending.values()) waiting.reject(error);
    pending.clear();
  }

  function started(): Worker {
    if (worker) return worker;
    const w = new Worker(workerSpecifier(import.meta.url, "src/media/thumbnail-worker.ts"));
    w.onmessage = (message: MessageEvent<ThumbnailReply>) => {
      const reply = message.data;
      const waiting = pending.get(reply.id);
      if (!waiting) return;
      pending.delete(reply.id);
      if ("bytes" in reply) waiting.resolve(reply.bytes);
      else if ("imageError" in reply) waiting.reject(new ImageError(reply.imageError));
      else waiting.reject(new Error(`thumbnail worker: ${reply.error}`));
      if (pending.size === 0) w.unref();
    };
    // A crashed worker (out of memory on a hostile image, say) fails its jobs; the next job starts a new one.
    w.onerror = (event) => {
      failAll(new Error(`thumbnail worker: ${event.message}`));
      w.terminate();
      if (worker === w) worker = null;
    };
    worker = w;
    return w;
  }

  return {
    render(job) {
      const w = started();
      const id = nextId++;
      return new Promise<Uint8Array>((resolve, reject) => {
        pending.set(id, { resolve, reject });
        w.ref();
        w.postMessage({ id, ...job } satisfies ThumbnailJob, [job.bytes.buffer as ArrayBuffer]);
      });
    },
    terminate() {
      failAll(new Error("thumbnail worker: terminated"));
      worker?.terminate();
      worker = null;
    },
  };
}

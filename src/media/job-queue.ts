// A bounded queue for CPU-heavy jobs: at most `concurrency` run at once, at most `limit` wait,
// and each job starts on a fresh macrotask so requests in between get served.
import { MatrixError } from "../protocol/matrix-error.ts";

export function createJobQueue(concurrency: number, limit: number) {
  let running = 0;
  const waiting: (() => void)[] = [];
  const next = () => {
    if (running >= concurrency) return;
    const start = waiting.shift();
    if (start) {
      running++;
      setTimeout(start, 0);
    }
  };
  return {
    run<T>(job: () => Promise<T>): Promise<T> {
      if (waiting.length >= limit) {
        return Promise.reject(new MatrixError(429, "M_LIMIT_EXCEEDED", "Too many thumbnails being made; retry shortly", { retry_after_ms: 1000 }));
      }
      return new Promise<T>((resolve, reject) => {
        waiting.push(() => {
          job()
            .then(resolve, reject)
            .finally(() => {
              running--;
              next();
            });
        });
        next();
      });
    },
  };
}

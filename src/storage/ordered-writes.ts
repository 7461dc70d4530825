// Writes that take their stream position from a sequence inside the statement commit in any
// order when they run concurrently: position 6 can be visible before 5, and a reader that moved
// past 6 (sync) never sees 5. Running the writes of one stream one at a time in this process
// makes commit order follow position order. (One Myelin process writes to a database.)

/** Tasks run one at a time per key, in the order they were queued. */
export interface KeyedQueue {
  run<T>(key: string, task: () => Promise<T>): Promise<T>;
  /** Whether a task of this key is queued or running. */
  busy(key: string): boolean;
}

export function createKeyedQueue(): KeyedQueue {
  const tails = new Map<string, Promise<unknown>>();
  return {
    run(key, task) {
      const previous = tails.get(key) ?? Promise.resolve();
      const run = previous.then(task, task);
      const settled = run.then(
        () => {},
        () => {},
      );
      tails.set(key, settled);
      void settled.then(() => {
        if (tails.get(key) === settled) tails.delete(key);
      });
      return run;
    },
    busy: (key) => tails.has(key),
  };
}

const streams = createKeyedQueue();

/** Runs `write` after every earlier write of the same stream has finished. */
export function inStreamOrder<T>(stream: string, write: () => Promise<T>): Promise<T> {
  return streams.run(stream, write);
}

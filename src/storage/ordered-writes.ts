// Writes that take their stream position from a sequence inside the statement commit in any
// order when they run concurrently: position 6 can be visible before 5, and a reader that moved
// past 6 (sync) never sees 5. Running the writes of one stream one at a time in this process
// makes commit order follow position order. (One Myelin process writes to a database.)

const queues = new Map<string, Promise<unknown>>();

/** Runs `write` after every earlier write of the same stream has finished. */
export function inStreamOrder<T>(stream: string, write: () => Promise<T>): Promise<T> {
  const previous = queues.get(stream) ?? Promise.resolve();
  const run = previous.then(write, write);
  const settled = run.then(
    () => {},
    () => {},
  );
  queues.set(stream, settled);
  void settled.then(() => {
    if (queues.get(stream) === settled) queues.delete(stream);
  });
  return run;
}

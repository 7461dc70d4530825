// Which event stream positions are safe to read up to. Positions are handed out before the
// write and transactions of different rooms commit in any order, so a reader (sync) must stop
// below the oldest write still in flight, or it would skip that event forever.
export interface StreamTracker {
  /** Marks a position in flight; call the returned function once it is committed (or failed). */
  begin(position: number): () => void;
  /** The highest position below which every write has finished. */
  persistedUpTo(): number;
  /** Called with the new persistedUpTo() when it advances. */
  onAdvance(listener: (position: number) => void): void;
}

export function createStreamTracker(initial: number): StreamTracker {
  const inFlight = new Set<number>();
  let highest = initial;
  let reported = initial;
  const listeners: ((position: number) => void)[] = [];
  const safe = () => (inFlight.size === 0 ? highest : Math.min(...inFlight) - 1);
  return {
    begin(position) {
      inFlight.add(position);
      return () => {
        inFlight.delete(position);
        if (position > highest) highest = position;
        const now = safe();
        if (now > reported) {
          reported = now;
          for (const listener of listeners) listener(now);
        }
      };
    },
    persistedUpTo: safe,
    onAdvance: (listener) => void listeners.push(listener),
  };
}

// Per-destination backoff, as Synapse's retryutils: a destination whose requests keep failing
// is not contacted again until a growing interval has passed; one success resets it. Kept in
// memory (Synapse stores it in destinations): a restart forgets it.
// Intervals: Synapse's federation.destination_* options (src/config/schema.ts).

export interface BackoffSettings {
  /** The interval after the first failure (destination_min_retry_interval, 10 min). */
  minIntervalMs: number;
  /** Each further failure multiplies it (destination_retry_multiplier, 2). */
  multiplier: number;
  /** The cap (destination_max_retry_interval, 1 week). */
  maxIntervalMs: number;
}

/** Limit: destinations remembered as failing; past it the oldest is forgotten (retried at once). */
export const BACKOFF_MAX_DESTINATIONS = 100_000;

export interface DestinationBackoff {
  /** Ms since the epoch until which `destination` is not retried; null when it may be contacted. */
  retryAfter(destination: string): number | null;
  failed(destination: string): void;
  succeeded(destination: string): void;
}

export function createDestinationBackoff(settings: BackoffSettings, now: () => number = Date.now, random: () => number = Math.random): DestinationBackoff {
  const failing = new Map<string, { intervalMs: number; retryAt: number }>();
  return {
    retryAfter(destination) {
      const entry = failing.get(destination);
      return entry && entry.retryAt > now() ? entry.retryAt : null;
    },
    failed(destination) {
      const previous = failing.get(destination);
      // A failure of a request that started before the backoff began does not grow it again.
      if (previous && previous.retryAt > now()) return;
      const intervalMs = previous
        ? Math.min(previous.intervalMs * settings.multiplier, settings.maxIntervalMs)
        : Math.min(settings.minIntervalMs, settings.maxIntervalMs);
      failing.delete(destination);
      if (failing.size >= BACKOFF_MAX_DESTINATIONS) failing.delete(failing.keys().next().value!);
      // Synapse's jitter (x0.8 to x1.4) keeps destinations that failed together from retrying together.
      failing.set(destination, { intervalMs, retryAt: now() + Math.round(intervalMs * (0.8 + 0.6 * random())) });
    },
    succeeded(destination) {
      failing.delete(destination);
    },
  };
}

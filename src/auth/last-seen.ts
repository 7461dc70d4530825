// Device last-seen ip/ts/user agent: recorded in memory on every authenticated request and
// written in one statement per flush, not one write per request.
// https://spec.matrix.org/v1.19/client-server-api/#get_matrixclientv3devices (last_seen_ip, last_seen_ts)
import type { AccountsRepo } from "../storage/repos/accounts.ts";
import type { Logger } from "../log/logger.ts";

/** How often pending last-seen data is written. */
const FLUSH_INTERVAL_MS = 10_000;

export interface LastSeen {
  record(userId: string, deviceId: string, ip: string, userAgent: string | null): void;
  /** Writes what is pending now (tests, shutdown). */
  flush(): Promise<void>;
  /** Stops the timer after a last flush. */
  stop(): Promise<void>;
}

export function createLastSeen(options: { repo: Pick<AccountsRepo, "updateLastSeen">; log: Logger; now?: () => number; intervalMs?: number | null }): LastSeen {
  const now = options.now ?? Date.now;
  let pending = new Map<string, { userId: string; deviceId: string; ip: string; ts: number; userAgent: string | null }>();
  const flush = async () => {
    if (pending.size === 0) return;
    const batch = [...pending.values()];
    pending = new Map();
    try {
      await options.repo.updateLastSeen(batch);
    } catch (error) {
      options.log.warn("could not record device last-seen data", { error, devices: batch.length });
    }
  };
  const interval = options.intervalMs === undefined ? FLUSH_INTERVAL_MS : options.intervalMs;
  const timer = interval === null ? null : setInterval(() => void flush(), interval);
  (timer as { unref?: () => void } | null)?.unref?.();
  return {
    record(userId, deviceId, ip, userAgent) {
      pending.set(`${userId}\u0000${deviceId}`, { userId, deviceId, ip, ts: now(), userAgent });
    },
    flush,
    async stop() {
      if (timer) clearInterval(timer);
      await flush();
    },
  };
}

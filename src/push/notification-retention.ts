// Notifications are not kept for ever: those decided more than NOTIFICATION_RETENTION_MS ago
// leave event_push_actions (and GET /notifications) once a day, as Synapse keeps about a month.
// Unread ones are folded into per-room, per-thread summaries first, so unread counts stay true.
import type { Logger } from "../log/logger.ts";
import type { PushActionsRepo } from "../storage/repos/push-actions.ts";

/** Limit: how long a notification is kept (Synapse: about 30 days). */
export const NOTIFICATION_RETENTION_MS = 30 * 24 * 60 * 60_000;
/** How often pruning runs, and how long after start the first run waits (not during startup load). */
const PRUNE_INTERVAL_MS = 24 * 60 * 60_000;
const FIRST_PRUNE_DELAY_MS = 60 * 60_000;

export function createNotificationRetention(deps: { repo: Pick<PushActionsRepo, "prune">; log: Logger; now: () => number }) {
  let timer: ReturnType<typeof setTimeout> | undefined;
  let running: Promise<number> | null = null;

  async function pruneNow(): Promise<number> {
    running ??= deps.repo.prune(deps.now() - NOTIFICATION_RETENTION_MS).finally(() => (running = null));
    return running;
  }

  function schedule(delayMs: number) {
    timer = setTimeout(() => {
      pruneNow()
        .then((rows) => rows > 0 && deps.log.info("old notifications pruned", { rows }))
        .catch((error) => deps.log.warn("pruning old notifications failed", { error: String(error) }))
        .finally(() => timer && schedule(PRUNE_INTERVAL_MS));
    }, delayMs);
    timer.unref?.();
  }

  return {
    start: () => schedule(FIRST_PRUNE_DELAY_MS),
    /** Prunes at once (tests, operators' tools); returns the notifications deleted. */
    pruneNow,
    async stop() {
      clearTimeout(timer);
      timer = undefined;
      await running?.catch(() => {});
    },
  };
}

export type NotificationRetention = ReturnType<typeof createNotificationRetention>;

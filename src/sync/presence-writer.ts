// Writes presence changes in batches, one batch at a time: the database hands out positions in
// the order batches commit, so a sync that saw position N never misses a change below N.
import type { Logger } from "../log/logger.ts";
import type { PresenceRepo, PresenceRow } from "../storage/repos/presence.ts";

export interface PresenceWriterDeps {
  repo: Pick<PresenceRepo, "saveChanges">;
  log: Logger;
  /** The row to write for a queued user, read when its batch starts (so it is the newest). */
  snapshot: (userId: string) => Omit<PresenceRow, "streamPosition">;
  /** Called in position order once a user's change is stored. */
  committed: (userId: string, position: number) => void;
}

export function createPresenceWriter(deps: PresenceWriterDeps) {
  const queued = new Set<string>();
  let running: Promise<void> | null = null;

  async function run(): Promise<void> {
    await Promise.resolve(); // `running` is set before this loop can end and clear it
    try {
      while (queued.size > 0) {
        const userIds = [...queued];
        queued.clear();
        let positions: Map<string, number>;
        try {
          positions = await deps.repo.saveChanges(userIds.map(deps.snapshot));
        } catch (error) {
          // Presence is best effort: keep the users queued for the next timeout check to retry.
          for (const userId of userIds) queued.add(userId);
          deps.log.error("presence write failed", { users: userIds.length, error: String(error) });
          return;
        }
        for (const [userId, position] of [...positions].sort((a, b) => a[1] - b[1])) deps.committed(userId, position);
      }
    } finally {
      running = null;
    }
  }

  return {
    queue(userId: string): void {
      queued.add(userId);
    },
    /** Resolves once everything queued so far is written (or has failed and stays queued). */
    async drain(): Promise<void> {
      // A running batch loop picks up users queued meanwhile; only a failed one leaves some behind.
      while (running) await running;
      if (queued.size === 0) return;
      running = run();
      await running;
    },
  };
}

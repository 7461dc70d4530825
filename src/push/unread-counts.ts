// Notification counts per room and thread for sync: notifying events after the user's read
// position, which is the newest of their m.read and m.read.private receipts and of their own
// events; an unthreaded receipt covers every thread, a threaded one ("main" or a thread root)
// its own thread. https://spec.matrix.org/v1.19/client-server-api/#receiving-notifications
// https://spec.matrix.org/v1.19/client-server-api/#marking-notifications-as-read
// Shaped as src/sync/sources.ts's UnreadCountsSource (push may not import sync; main.ts joins them).
import type { Logger } from "../log/logger.ts";
import type { PushActionsRepo, ReadMark } from "../storage/repos/push-actions.ts";
import { MAIN_THREAD, type PushEvaluator } from "./evaluator.ts";

/** Limit: how long a count waits for events queued before it to be evaluated (then it answers, and onChange follows). */
export const MAX_COUNT_WAIT_MS = 500;

/** Stored thread id of an unthreaded receipt (as in src/rooms/receipts.ts). */
const UNTHREADED = "";

export interface Counts {
  notification_count: number;
  highlight_count: number;
}

/** notification_count and highlight_count: the whole room, main timeline and threads together. */
export interface RoomUnreadCounts extends Counts {
  /** Per thread root: what unread_thread_notifications shows. */
  threads: Map<string, Counts>;
  /** The main timeline alone: unread_notifications when the client asked for unread_thread_notifications. */
  main: Counts;
}

export function createUnreadCounts(deps: {
  repo: Pick<PushActionsRepo, "readMarks" | "counts" | "receiptUser">;
  evaluator: Pick<PushEvaluator, "settled" | "onNotified">;
  log: Logger;
}) {
  const { repo } = deps;
  const listeners: ((userId: string) => void)[] = [];
  const changed = (userId: string) => {
    for (const listener of listeners) listener(userId);
  };
  deps.evaluator.onNotified((userIds) => {
    for (const userId of userIds) changed(userId);
  });

  return {
    /** Counts for each room that has unread notifications (others are left out). */
    async unreadCounts(userId: string, roomIds: readonly string[]): Promise<Map<string, RoomUnreadCounts>> {
      const result = new Map<string, RoomUnreadCounts>();
      if (roomIds.length === 0) return result;
      await deps.evaluator.settled(MAX_COUNT_WAIT_MS);
      const marks = await repo.readMarks(userId, roomIds);
      // Each room's unthreaded receipt bounds the scan; per-thread receipts above it filter rows.
      const floors = new Map<string, number>(roomIds.map((roomId) => [roomId, 0]));
      const threaded: ReadMark[] = [];
      for (const mark of marks) {
        if (mark.threadId === UNTHREADED) floors.set(mark.roomId, mark.streamOrdering);
        else threaded.push(mark);
      }
      for (const row of await repo.counts(userId, floors, threaded.filter((mark) => mark.streamOrdering > (floors.get(mark.roomId) ?? 0)))) {
        let room = result.get(row.roomId);
        if (!room) result.set(row.roomId, (room = { notification_count: 0, highlight_count: 0, threads: new Map(), main: { notification_count: 0, highlight_count: 0 } }));
        room.notification_count += row.notifications;
        room.highlight_count += row.highlights;
        const counts = { notification_count: row.notifications, highlight_count: row.highlights };
        if (row.threadId === MAIN_THREAD) room.main = counts;
        else room.threads.set(row.threadId, counts);
      }
      return result;
    },

    /** Called with each user whose counts may have changed (new notifications, own events, receipts). */
    onChange(listener: (userId: string) => void): void {
      listeners.push(listener);
    },

    /**
     * The receipts hook (createRoomEphemeralServices' hooks.receiptsChanged): a moved receipt
     * clears notifications, so its user's counts change.
     */
    receiptsChanged(_roomId: string, position: number): void {
      repo
        .receiptUser(position)
        .then((userId) => userId && changed(userId))
        .catch((error) => deps.log.warn("reading a receipt's user failed", { error: String(error) }));
    },
  };
}

export type UnreadCounts = ReturnType<typeof createUnreadCounts>;

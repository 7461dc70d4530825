// GET /notifications: the events a user was notified about, newest first, with the actions
// of the rule that matched and whether their receipts cover them.
// https://spec.matrix.org/v1.19/client-server-api/#get_matrixclientv3notifications
import type { ClientEventFormatter } from "../rooms/client-events.ts";
import type { EventCache } from "../rooms/stored-event.ts";
import type { PushActionsRepo } from "../storage/repos/push-actions.ts";
import type { PushEvaluator } from "./evaluator.ts";
import { invalidParam } from "./rule-checks.ts";
import { MAX_COUNT_WAIT_MS } from "./unread-counts.ts";

/** Notifications per page when the client names no limit (Synapse's default). */
export const DEFAULT_NOTIFICATIONS_LIMIT = 50;
/** Limit: notifications per page (a larger `limit` is lowered to it). */
export const MAX_NOTIFICATIONS_LIMIT = 100;

export interface NotificationsQuery {
  from?: string;
  limit?: number;
  only?: string;
}

export function createNotifications(deps: {
  repo: Pick<PushActionsRepo, "page" | "readMarks">;
  evaluator: Pick<PushEvaluator, "settled">;
  cache: Pick<EventCache, "get">;
  formatter: ClientEventFormatter;
}) {
  return {
    async list(userId: string, deviceId: string | null, query: NotificationsQuery) {
      // The token is the stream ordering of the last notification of the previous page.
      let before: number | null = null;
      if (query.from !== undefined) {
        if (!/^[0-9]{1,15}$/.test(query.from)) throw invalidParam("from is not a token this server gave");
        before = Number(query.from);
      }
      if (query.limit !== undefined && (!Number.isSafeInteger(query.limit) || query.limit < 0)) throw invalidParam("limit must be a non-negative integer");
      const limit = Math.min(query.limit ?? DEFAULT_NOTIFICATIONS_LIMIT, MAX_NOTIFICATIONS_LIMIT);
      if (limit === 0) return { notifications: [] };
      await deps.evaluator.settled(MAX_COUNT_WAIT_MS);
      const rows = await deps.repo.page(userId, { before, limit, onlyHighlight: query.only === "highlight" });
      const roomIds = [...new Set(rows.map((row) => row.roomId))];
      const [events, marks] = await Promise.all([deps.cache.get(rows.map((row) => row.eventId)), deps.repo.readMarks(userId, roomIds)]);
      const readUpTo = new Map(marks.map((mark) => [`${mark.roomId}\n${mark.threadId}`, mark.streamOrdering]));
      const byId = new Map(events.map((event) => [event.eventId, event]));
      const found = rows.filter((row) => byId.has(row.eventId));
      const formatted = await deps.formatter.format(found.map((row) => byId.get(row.eventId)!), { userId, deviceId });
      const notifications = found.map((row, i) => {
        const { room_id: _roomId, ...event } = formatted[i]!;
        // Read when the unthreaded receipt or the receipt of the event's thread is at or after it.
        const read = row.streamOrdering <= Math.max(readUpTo.get(`${row.roomId}\n`) ?? 0, readUpTo.get(`${row.roomId}\n${row.threadId}`) ?? 0);
        return { actions: row.actions, event, read, room_id: row.roomId, ts: row.ts };
      });
      const last = rows.at(-1);
      return rows.length === limit && last ? { notifications, next_token: String(last.streamOrdering) } : { notifications };
    },
  };
}

export type Notifications = ReturnType<typeof createNotifications>;

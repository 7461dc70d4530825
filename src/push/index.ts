// Builds the push services: the push rules API, bulk evaluation of every persisted event (a
// rooms bus subscriber), notification counts for sync and GET /notifications.
// src/main.ts and the tests call it after the rooms services; main.ts gives sync the two
// sources (unreadCounts, pushRulesSource) and ephemeral's receiptsChanged hook the counts'.
import type { Engine, PushRuleOptions } from "../engine/index.ts";
import type { Logger } from "../log/logger.ts";
import type { RoomServices } from "../rooms/index.ts";
import type { Db } from "../storage/db.ts";
import { createPushActionsRepo } from "../storage/repos/push-actions.ts";
import { createPushRulesRepo } from "../storage/repos/push-rules.ts";
import { createPushEvaluator, type PushEvaluator } from "./evaluator.ts";
import { createNotifications, type Notifications } from "./notifications.ts";
import { createPushRules, type PushRules } from "./rules.ts";
import { createUnreadCounts, type UnreadCounts } from "./unread-counts.ts";

/** src/sync/sources.ts's PushRulesSource, structurally (push may not import sync). */
export interface PushRulesFeed {
  pushRules(userId: string): Promise<Record<string, unknown>>;
  lastChange(userId: string): Promise<number>;
  position(): number;
  onChange(listener: (userId: string, position: number) => void): void;
}

export interface PushServices {
  rules: PushRules;
  evaluator: PushEvaluator;
  /** For sync: UnreadCountsSource; its receiptsChanged goes into ephemeral's hooks. */
  unreadCounts: UnreadCounts;
  /** For sync: PushRulesSource (the m.push_rules account data event). */
  pushRulesSource: PushRulesFeed;
  notifications: Notifications;
  /** Unsubscribes from the rooms bus and waits (at most `maxWaitMs`) for queued evaluations to be stored. */
  close(maxWaitMs?: number): Promise<void>;
}

export async function createPushServices(deps: {
  db: Db;
  engine: Engine;
  rooms: Pick<RoomServices, "bus" | "heads" | "cache" | "stateStore" | "formatter">;
  serverName: string;
  log: Logger;
  /** The legacy mention rules v1.17 removed (off by default, as in the spec). */
  options?: PushRuleOptions;
  now?: () => number;
}): Promise<PushServices> {
  const rulesRepo = createPushRulesRepo(deps.db);
  const actionsRepo = createPushActionsRepo(deps.db);
  const rules = createPushRules({ repo: rulesRepo, engine: deps.engine, options: deps.options, startPosition: await rulesRepo.maxPosition() });
  const evaluator = createPushEvaluator({
    engine: deps.engine, rooms: deps.rooms, rules, repo: actionsRepo, serverName: deps.serverName, log: deps.log, options: deps.options, now: deps.now,
  });
  const unsubscribe = deps.rooms.bus.subscribe(({ event }) => evaluator.enqueue(event));
  const unreadCounts = createUnreadCounts({ repo: actionsRepo, evaluator, log: deps.log });
  const notifications = createNotifications({ repo: actionsRepo, evaluator, cache: deps.rooms.cache, formatter: deps.rooms.formatter });
  const pushRulesSource: PushRulesFeed = {
    pushRules: async (userId) => ({ global: await rules.ruleset(userId) }),
    lastChange: rules.positionOf,
    position: rules.position,
    onChange: rules.onChange,
  };
  return { rules, evaluator, unreadCounts, pushRulesSource, notifications, close: async (maxWaitMs = 5_000) => {
    unsubscribe();
    await evaluator.settled(maxWaitMs);
  } };
}

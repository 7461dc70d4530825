// Builds the push services: the push rules API, bulk evaluation of every persisted event (a
// rooms bus subscriber), notification counts for sync and GET /notifications.
// src/main.ts and the tests call it after the rooms services; main.ts gives sync the two
// sources (unreadCounts, pushRulesSource) and ephemeral's receiptsChanged hook the counts'.
// Pushers (POST /pushers/set) get each stored notification and count change, delivered off the event path.
import type { Config } from "../config/verify.ts";
import { parseDuration } from "../config/units.ts";
import type { Engine, PushRuleOptions } from "../engine/index.ts";
import type { Logger } from "../log/logger.ts";
import type { RoomServices } from "../rooms/index.ts";
import type { Db } from "../storage/db.ts";
import { createPushActionsRepo } from "../storage/repos/push-actions.ts";
import { createPushRulesRepo } from "../storage/repos/push-rules.ts";
import { createPushersRepo } from "../storage/repos/pushers.ts";
import { outboundPolicy, parseRanges } from "../protocol/ip-ranges.ts";
import { createPushGateway } from "./push-gateway.ts";
import { createPushers, type Pushers } from "./pushers.ts";
import { createPusherDelivery, type PusherDelivery } from "./pushers-delivery.ts";
import { createPushPayloads } from "./pushers-payload.ts";
import { createPushEvaluator, type PushEvaluator } from "./evaluator.ts";
import { createNotifications, type Notifications } from "./notifications.ts";
import { createNotificationRetention, type NotificationRetention } from "./notification-retention.ts";
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
  /** GET /pushers, POST /pushers/set; device deletion and deactivation hooks. */
  pushers: Pushers;
  /** Queues to push gateways (its `timings` may be shortened by tests). */
  delivery: PusherDelivery;
  /** Pruning of notifications past the retention (daily). */
  retention: NotificationRetention;
  /** Unsubscribes from the rooms bus and waits (at most `maxWaitMs`) for queued evaluations to be stored. */
  close(maxWaitMs?: number): Promise<void>;
}

export async function createPushServices(deps: {
  db: Db;
  engine: Engine;
  rooms: Pick<RoomServices, "bus" | "heads" | "cache" | "stateStore" | "formatter" | "repo" | "stream">;
  serverName: string;
  log: Logger;
  /** The legacy mention rules v1.17 removed (off by default, as in the spec). */
  options?: PushRuleOptions;
  /** Synapse's push section and outbound IP ranges (defaults: the config schema's). */
  config?: Pick<Config, "push" | "ip_range_blacklist" | "ip_range_whitelist">;
  now?: () => number;
}): Promise<PushServices> {
  const push = deps.config?.push ?? { enabled: true, include_content: true, group_unread_count_by_room: true, jitter_delay: 0 };
  const policy = outboundPolicy(
    parseRanges(deps.config?.ip_range_blacklist ?? [], "ip_range_blacklist"),
    parseRanges(deps.config?.ip_range_whitelist ?? [], "ip_range_whitelist"),
  );
  const rulesRepo = createPushRulesRepo(deps.db);
  const actionsRepo = createPushActionsRepo(deps.db);
  const rules = createPushRules({ repo: rulesRepo, engine: deps.engine, options: deps.options, startPosition: await rulesRepo.maxPosition() });
  const evaluator = createPushEvaluator({
    engine: deps.engine, rooms: deps.rooms, rules, repo: actionsRepo, serverName: deps.serverName, log: deps.log, options: deps.options, now: deps.now,
  });
  // push.enabled false: no evaluation, so no counts and no pushes (Synapse's meaning).
  const unsubscribe = push.enabled ? deps.rooms.bus.subscribe(({ event }) => evaluator.enqueue(event)) : () => {};
  const unreadCounts = createUnreadCounts({ repo: actionsRepo, evaluator, log: deps.log });
  const notifications = createNotifications({ repo: actionsRepo, evaluator, cache: deps.rooms.cache, formatter: deps.rooms.formatter });
  const retention = createNotificationRetention({ repo: actionsRepo, log: deps.log, now: deps.now ?? Date.now });
  retention.start();
  const now = deps.now ?? Date.now;
  const pushersRepo = createPushersRepo(deps.db);
  const pushers = await createPushers({ repo: pushersRepo, now, streamPosition: deps.rooms.stream.persistedUpTo });
  const delivery = createPusherDelivery({
    pushers, gateway: createPushGateway({ policy }), repo: pushersRepo, jitterMs: parseDuration(push.jitter_delay) ?? 0, log: deps.log, now,
    payloads: createPushPayloads({
      heads: deps.rooms.heads, cache: deps.rooms.cache, unreadCounts, roomsOf: (userId, memberships) => deps.rooms.repo.roomsOfUser(userId, memberships),
      includeContent: push.include_content, groupUnreadCountByRoom: push.group_unread_count_by_room,
    }),
  });
  evaluator.onStored(delivery.notified);
  unreadCounts.onChange(delivery.countsChanged);
  const pushRulesSource: PushRulesFeed = {
    pushRules: async (userId) => ({ global: await rules.ruleset(userId) }),
    lastChange: rules.positionOf,
    position: rules.position,
    onChange: rules.onChange,
  };
  return { rules, evaluator, unreadCounts, pushRulesSource, notifications, pushers, delivery, retention, close: async (maxWaitMs = 5_000) => {
    unsubscribe();
    await evaluator.settled(maxWaitMs);
    delivery.close();
    await retention.stop();
  } };
}

// Push rules API: a user's rules merged with the server defaults (engine), single rules and
// their enabled/actions attributes, and changes: own rules placed with before/after, default
// rules changed only in `enabled` and `actions`.
// https://spec.matrix.org/v1.19/client-server-api/#push-rules-api
import type { Engine, PushRule, PushRuleKind, PushRuleOptions, PushRuleset, StoredPushRules } from "../engine/index.ts";
import { MatrixError, notFound } from "../protocol/matrix-error.ts";
import type { PushRuleRow, PushRulesRepo } from "../storage/repos/push-rules.ts";
import { checkActions, checkKind, checkNewRuleId, invalidParam, MAX_USER_RULES, RULE_KINDS, ruleFromBody } from "./rule-checks.ts";

/** Limit: users whose stored rules are kept in memory. */
const CACHED_USERS = 50_000;

export type RuleAttribute = "enabled" | "actions";

/** Called after a user's rules changed, with the new position of the push rules stream. */
export type PushRulesChanged = (userId: string, position: number) => void;

const ruleNotFound = () => notFound("The push rule was not found.");

export function createPushRules(deps: {
  repo: PushRulesRepo;
  engine: Pick<Engine, "defaultPushRules" | "effectivePushRules">;
  options?: PushRuleOptions;
  /** The position of the push rules stream at start. */
  startPosition: number;
}) {
  const { repo, engine } = deps;
  const options = deps.options ?? {};
  const cache = new Map<string, StoredPushRules | null>();
  const listeners: PushRulesChanged[] = [];
  let position = deps.startPosition;
  // Writes run one at a time: each reads a kind, changes it and writes it back, and positions
  // then commit in the order they are taken (sync reads the stream up to position()).
  let writing: Promise<unknown> = Promise.resolve();
  /** Counts committed writes: a load that overlaps one must not cache what it read before it. */
  let generation = 0;

  const toStored = (rows: readonly PushRuleRow[]): StoredPushRules | null => {
    if (rows.length === 0) return null;
    const stored: Partial<Record<PushRuleKind, Record<string, unknown>[]>> = {};
    for (const row of rows) (stored[row.kind as PushRuleKind] ??= []).push(row.rule);
    return stored as StoredPushRules;
  };

  async function storedMany(userIds: readonly string[]): Promise<Map<string, StoredPushRules | null>> {
    const result = new Map<string, StoredPushRules | null>();
    const missing: string[] = [];
    for (const userId of userIds) {
      const stored = cache.get(userId);
      if (stored !== undefined) result.set(userId, stored);
      else missing.push(userId);
    }
    if (missing.length === 0) return result;
    const startGeneration = generation;
    for (const [userId, rows] of await repo.rulesOf(missing)) {
      const stored = toStored(rows);
      result.set(userId, stored);
      if (startGeneration === generation) {
        cache.set(userId, stored);
        if (cache.size > CACHED_USERS) cache.delete(cache.keys().next().value as string);
      }
    }
    return result;
  }

  async function effective(userId: string): Promise<PushRuleset> {
    const stored = (await storedMany([userId])).get(userId) ?? null;
    return engine.effectivePushRules(userId, stored, options);
  }

  async function findRule(userId: string, kind: string, ruleId: string): Promise<PushRule> {
    const rule = (await effective(userId))[checkKind(kind)].find((r) => r.rule_id === ruleId);
    if (!rule) throw ruleNotFound();
    return rule;
  }

  /** Runs `change` on the user's stored rows of `kind` and writes them back if it returns rows. */
  function write(userId: string, kind: PushRuleKind, change: (rows: PushRuleRow[], all: PushRuleRow[]) => PushRuleRow[]): Promise<void> {
    const task = writing.then(async () => {
      const all = (await repo.rulesOf([userId])).get(userId) ?? [];
      const rows = change(all.filter((row) => row.kind === kind), all);
      const own = rows.filter((row) => !row.ruleId.startsWith("."));
      const saved = [...own.map((row, priority) => ({ ...row, priority })), ...rows.filter((row) => row.ruleId.startsWith(".")).map((row) => ({ ...row, priority: 0 }))];
      const moved = await repo.replaceKind(userId, kind, saved);
      generation++;
      cache.delete(userId);
      position = Math.max(position, moved);
      for (const listener of listeners) listener(userId, moved);
    });
    writing = task.catch(() => {});
    return task;
  }

  return {
    /** GET /pushrules/global/: the user's rules with the defaults merged in. */
    ruleset: effective,

    /** The stored rules of many users at once, for push evaluation (null: defaults only). */
    storedMany,

    /** GET /pushrules/global/{kind}/{ruleId}. */
    rule: findRule,

    /** GET /pushrules/global/{kind}/{ruleId}/enabled or /actions. */
    async attribute(userId: string, kind: string, ruleId: string, attribute: RuleAttribute): Promise<Record<string, unknown>> {
      const rule = await findRule(userId, kind, ruleId);
      return attribute === "enabled" ? { enabled: rule.enabled } : { actions: rule.actions };
    },

    /** PUT /pushrules/global/{kind}/{ruleId}?before=&after=: creates or replaces an own rule. */
    async put(userId: string, kindValue: string, ruleId: string, body: Record<string, unknown>, place: { before?: string; after?: string }): Promise<void> {
      const kind = checkKind(kindValue);
      checkNewRuleId(ruleId);
      const rule = ruleFromBody(kind, ruleId, body);
      for (const anchor of [place.before, place.after]) {
        if (anchor !== undefined && anchor.startsWith(".")) throw invalidParam("Rules cannot be placed relative to server-default rules");
      }
      await write(userId, kind, (rows, all) => {
        const index = rows.findIndex((row) => row.ruleId === ruleId);
        if (index < 0 && all.filter((row) => !row.ruleId.startsWith(".")).length >= MAX_USER_RULES) throw invalidParam(`A user may have at most ${MAX_USER_RULES} push rules`);
        const entry: PushRuleRow = { kind, ruleId, priority: 0, rule };
        const others = rows.filter((row) => row.ruleId !== ruleId);
        const anchor = place.before ?? place.after;
        if (anchor === undefined) {
          // A new rule is the most important of its kind; a replaced one keeps its place.
          if (index < 0) return [entry, ...others];
          rows[index] = entry;
          return rows;
        }
        const at = others.findIndex((row) => row.ruleId === anchor && !row.ruleId.startsWith("."));
        // 400 as the spec's example and Synapse answer it ("before/after rule not found").
        if (at < 0) throw new MatrixError(400, "M_UNKNOWN", `before/after rule not found: ${anchor}`);
        others.splice(place.before !== undefined ? at : at + 1, 0, entry);
        return others;
      });
    },

    /** DELETE /pushrules/global/{kind}/{ruleId}: own rules only. */
    async delete(userId: string, kindValue: string, ruleId: string): Promise<void> {
      const kind = checkKind(kindValue);
      if (ruleId.startsWith(".")) {
        if (engine.defaultPushRules(userId, options)[kind].some((rule) => rule.rule_id === ruleId)) throw invalidParam("Server-default rules cannot be deleted");
        throw ruleNotFound();
      }
      await write(userId, kind, (rows) => {
        if (!rows.some((row) => row.ruleId === ruleId)) throw ruleNotFound();
        return rows.filter((row) => row.ruleId !== ruleId);
      });
    },

    /** PUT .../enabled or .../actions: own rules, and the only changes server-default rules take. */
    async setAttribute(userId: string, kindValue: string, ruleId: string, attribute: RuleAttribute, value: unknown): Promise<void> {
      const kind = checkKind(kindValue);
      if (attribute === "enabled" && typeof value !== "boolean") throw new MatrixError(400, "M_BAD_JSON", "enabled must be a boolean");
      const changed = attribute === "enabled" ? { enabled: value } : { actions: checkActions(value) };
      const isDefault = ruleId.startsWith(".");
      if (isDefault && !engine.defaultPushRules(userId, options)[kind].some((rule) => rule.rule_id === ruleId)) throw ruleNotFound();
      await write(userId, kind, (rows) => {
        const index = rows.findIndex((row) => row.ruleId === ruleId);
        if (index >= 0) {
          rows[index] = { ...rows[index]!, rule: { ...rows[index]!.rule, ...changed } };
          return rows;
        }
        if (!isDefault) throw ruleNotFound();
        return [...rows, { kind, ruleId, priority: 0, rule: { rule_id: ruleId, ...changed } }];
      });
    },

    /** The highest position of the push rules stream handed out (changes below it are committed). */
    position: () => position,

    positionOf: async (userId: string): Promise<number> => (await repo.positionsOf([userId])).get(userId) ?? 0,

    onChange(listener: PushRulesChanged): void {
      listeners.push(listener);
    },

    kinds: RULE_KINDS,
  };
}

export type PushRules = ReturnType<typeof createPushRules>;

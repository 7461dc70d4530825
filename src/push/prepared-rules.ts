// Users' push rules compiled once in the engine and kept until they change: evaluating a
// message in a room of 5,000 then sends no rules across the wasm boundary and compiles none.
import type { Engine, PreparedPushRules } from "../engine/index.ts";
import type { PushRules } from "./rules.ts";

/** Limit: users whose compiled rule sets are kept (in the engine's memory). */
const CACHED_RULE_SETS = 20_000;

export function createPreparedRules(deps: { engine: Pick<Engine, "preparePushRules">; rules: Pick<PushRules, "storedMany" | "onChange"> }) {
  // Per user a compiled rule set, or null for the defaults alone. A change bumps the user's
  // epoch, so a load that overlapped it is not kept.
  const prepared = new Map<string, PreparedPushRules | null>();
  const epochs = new Map<string, number>();
  deps.rules.onChange((userId) => {
    epochs.set(userId, (epochs.get(userId) ?? 0) + 1);
    prepared.get(userId)?.release();
    prepared.delete(userId);
  });

  return {
    /** Compiles the rules of those not cached yet (one query, one engine call). */
    async load(userIds: readonly string[]): Promise<void> {
      for (let attempt = 0; attempt < 3; attempt++) {
        const missing = userIds.filter((userId) => !prepared.has(userId));
        if (missing.length === 0) return;
        const seen = missing.map((userId) => epochs.get(userId) ?? 0);
        const stored = await deps.rules.storedMany(missing);
        const withRules = missing.filter((userId) => stored.get(userId));
        const handles = withRules.length > 0 ? deps.engine.preparePushRules(withRules.map((userId) => stored.get(userId)!)) : [];
        const handleOf = new Map(withRules.map((userId, i) => [userId, handles[i]!]));
        missing.forEach((userId, i) => {
          if ((epochs.get(userId) ?? 0) === seen[i]) prepared.set(userId, handleOf.get(userId) ?? null);
          else handleOf.get(userId)?.release();
        });
      }
    },

    /** The user's compiled rules after load(); null for the defaults (also if a change raced the load three times). */
    get: (userId: string): PreparedPushRules | null => prepared.get(userId) ?? null,

    /** Drops the oldest compiled rule sets beyond the limit: call after an evaluation, never during one. */
    trim(): void {
      for (const [userId, handle] of prepared) {
        if (prepared.size <= CACHED_RULE_SETS) break;
        handle?.release();
        prepared.delete(userId);
      }
    },
  };
}

// Push rules through the engine facade: the fixtures shared with the Rust tests
// (wasm/tests/fixtures/push/, run there by wasm/tests/push.rs), each evaluation both with the
// stored rules sent along and prepared, and what only the facade does (prepared rule sets that
// survive a replaced module, released handles, argument checks).
import { describe, expect, test } from "bun:test";
import conditions from "../../wasm/tests/fixtures/push/conditions.json";
import defaults from "../../wasm/tests/fixtures/push/defaults.json";
import effective from "../../wasm/tests/fixtures/push/effective.json";
import evaluations from "../../wasm/tests/fixtures/push/evaluate.json";
import { createEngine, loadEngine, type PushContext, type PushOutcome, type PushRecipient, type StoredPushRules } from "../../src/engine/index.ts";
import { createPushEngine } from "../../src/engine/push.ts";
import { createWasmCore, type WasmCore } from "../../src/engine/wasm-module.ts";
import wasmPath from "../../wasm/myelin_core.wasm" with { type: "file" };

const engine = await loadEngine();
const module = await WebAssembly.compile(await Bun.file(wasmPath).bytes());
const engineCore = createWasmCore(module);

interface FixtureContext {
  member_count?: number;
  sender_power_level?: number | "infinite";
  notification_levels?: Record<string, number>;
  legacy_mention_rules?: boolean;
}

function context(fixture: FixtureContext | undefined): PushContext {
  const level = fixture?.sender_power_level ?? 0;
  return {
    memberCount: fixture?.member_count ?? 5,
    senderPowerLevel: level === "infinite" ? Infinity : level,
    notificationPowerLevels: fixture?.notification_levels ?? { room: 50 },
    legacyMentionRules: fixture?.legacy_mention_rules ?? false,
  };
}

/** An outcome in the fixtures' shape. */
function shown(outcome: PushOutcome): unknown {
  if (!outcome.matched) return { rule: null, reason: outcome.reason };
  const { kind, ruleId, actions, notify, highlight, sound, tweaks } = outcome;
  return { rule: `${kind}:${ruleId}`, actions, notify, highlight, sound, tweaks };
}

type Mode = "inline" | "prepared";

function withMode(users: PushRecipient[], mode: Mode): PushRecipient[] {
  if (mode === "inline") return users;
  return users.map((user) => (user.rules ? { ...user, rules: engine.preparePushRules([user.rules as StoredPushRules])[0]! } : user));
}

describe.each(["inline", "prepared"] as const)("fixtures, rules %s", (mode) => {
  test("conditions", () => {
    expect(conditions.cases.length).toBeGreaterThan(100);
    for (const item of conditions.cases as { name: string; condition: unknown; event: object; context?: FixtureContext; user?: { user_id: string; display_name: string | null }; expected: boolean }[]) {
      const rules = { override: [{ rule_id: "probe", conditions: [item.condition], actions: ["notify"] }] } as StoredPushRules;
      const user = { userId: item.user?.user_id ?? "@alice:example.org", displayName: item.user ? item.user.display_name : "Alice", rules };
      const [outcome] = engine.evaluatePush(item.event, context(item.context), withMode([user], mode));
      expect({ name: item.name, matched: outcome!.matched && outcome!.ruleId === "probe" }).toEqual({ name: item.name, matched: item.expected });
    }
  });

  test("evaluations", () => {
    expect(evaluations.cases.length).toBeGreaterThan(40);
    for (const item of evaluations.cases as { name: string; event: object; context?: FixtureContext; users: { user_id: string; display_name?: string; rules?: unknown; expected: unknown }[] }[]) {
      const users = item.users.map((user) => ({ userId: user.user_id, displayName: user.display_name ?? null, rules: (user.rules ?? null) as StoredPushRules | null }));
      const outcomes = engine.evaluatePush(item.event, context(item.context), withMode(users, mode));
      expect({ name: item.name, outcomes: outcomes.map(shown) }).toEqual({ name: item.name, outcomes: item.users.map((user) => user.expected) });
    }
  });
});

test("default rules for a user, with and without the legacy mention rules", () => {
  expect(engine.defaultPushRules(defaults.user_id)).toEqual(defaults.rules as never);
  expect(engine.defaultPushRules(defaults.user_id, { legacyMentionRules: true })).toEqual(defaults.with_legacy as never);
});

test("stored rules merged with the defaults", () => {
  for (const item of effective.cases) {
    expect({ name: item.name, rules: engine.effectivePushRules(effective.user_id, item.stored as StoredPushRules | null) }).toEqual({ name: item.name, rules: item.expected as never });
  }
});

describe("evaluatePush", () => {
  const message = { type: "m.room.message", room_id: "!r:example.org", sender: "@bob:example.org", content: { msgtype: "m.text", body: "cake time" } };
  const cake: StoredPushRules = { content: [{ rule_id: "cake", pattern: "cake", actions: ["notify", { set_tweak: "highlight" }] }] };
  const plain = { memberCount: 10, senderPowerLevel: 0 };

  test("recipients with the same rule share one outcome object; the sender gets own_event", () => {
    const users = ["@a:x", "@b:x", "@bob:example.org", "@c:x"].map((userId) => ({ userId }));
    const [a, b, sender, c] = engine.evaluatePush(message, plain, users);
    expect(a).toBe(b!);
    expect(a).toBe(c!);
    expect(a).toMatchObject({ matched: true, kind: "underride", ruleId: ".m.rule.message", notify: true, highlight: false, sound: null });
    expect(sender).toEqual({ matched: false, reason: "own_event", actions: null, notify: false, highlight: false, sound: null });
  });

  test("one stored rules object shared by many users is sent once and works for all", () => {
    const users = Array.from({ length: 50 }, (_, i) => ({ userId: `@u${i}:x`, rules: i % 2 === 0 ? cake : null }));
    const outcomes = engine.evaluatePush(message, plain, users);
    expect(outcomes.filter((o) => o.highlight).length).toBe(25);
    expect(outcomes.every((o, i) => (i % 2 === 0 ? o.matched && o.ruleId === "cake" : o.matched && o.ruleId === ".m.rule.message"))).toBe(true);
  });

  test("an empty room and no recipients", () => {
    expect(engine.evaluatePush(message, plain, [])).toEqual([]);
  });

  test("arguments are checked", () => {
    expect(() => engine.evaluatePush(message, { memberCount: -1, senderPowerLevel: 0 }, [])).toThrow(RangeError);
    expect(() => engine.evaluatePush(message, { memberCount: 1.5, senderPowerLevel: 0 }, [])).toThrow(RangeError);
    expect(() => engine.evaluatePush(message, { memberCount: 1, senderPowerLevel: Number.NaN }, [])).toThrow(RangeError);
    expect(() => engine.evaluatePush(message, { memberCount: 1, senderPowerLevel: -Infinity }, [])).toThrow(RangeError);
    expect(() => engine.evaluatePush(message, plain, [{ userId: "@a\n@b:x" }])).toThrow(/newline/);
  });

  test("a released prepared rule set cannot be used; releasing twice is harmless", () => {
    const [prepared] = engine.preparePushRules([cake]);
    expect(engine.evaluatePush(message, plain, [{ userId: "@a:x", rules: prepared }])[0]).toMatchObject({ ruleId: "cake" });
    prepared!.release();
    prepared!.release();
    expect(() => engine.evaluatePush(message, plain, [{ userId: "@a:x", rules: prepared }])).toThrow(/released/);
  });

  test("prepared rule sets report whether they read display names", () => {
    const named: StoredPushRules = { override: [{ rule_id: "me", conditions: [{ kind: "contains_display_name" }], actions: ["notify"] }] };
    const [plainSet, namedSet] = engine.preparePushRules([cake, named]);
    expect([plainSet!.readsDisplayName, namedSet!.readsDisplayName]).toEqual([false, true]);
    const outcomes = engine.evaluatePush({ ...message, content: { body: "hi Ann" } }, plain, [{ userId: "@ann:x", displayName: "Ann", rules: namedSet }]);
    expect(outcomes[0]).toMatchObject({ ruleId: "me" });
  });
});

describe("prepared rule sets when the module is replaced", () => {
  // A trap makes WasmCore start a fresh instance, and the prepared rule sets are gone with the
  // old one. Simulated here by swapping the instance behind the facade.
  const message = { type: "m.room.message", room_id: "!r:example.org", sender: "@bob:example.org", content: { body: "tea or cake?" } };
  const plain = { memberCount: 10, senderPowerLevel: 0 };
  const tea: StoredPushRules = { content: [{ rule_id: "tea", pattern: "tea", actions: ["notify"] }] };
  const cake: StoredPushRules = { content: [{ rule_id: "cake", pattern: "cake", actions: ["notify"] }] };

  function swappable(): { core: WasmCore; replace(): void } {
    let current = createWasmCore(module);
    return { core: { call: (operation, input) => current.call(operation, input) }, replace: () => (current = createWasmCore(module)) };
  }

  test("evaluating prepares them again, and ids never name another user's rules", () => {
    const { core, replace } = swappable();
    const push = createPushEngine(core);
    const [teaSet, cakeSet] = push.preparePushRules([tea, cake]);
    const users = [
      { userId: "@a:x", rules: teaSet },
      { userId: "@b:x", rules: cakeSet },
    ];
    expect(push.evaluatePush(message, plain, users).map((o) => o.matched && o.ruleId)).toEqual(["tea", "cake"]);
    replace();
    expect(push.evaluatePush(message, plain, users).map((o) => o.matched && o.ruleId)).toEqual(["tea", "cake"]);
    // Replaced again, and this time a new rule set is prepared first: it must not take over
    // the old ids of teaSet and cakeSet.
    replace();
    const [cakeFirst] = push.preparePushRules([{ content: [{ rule_id: "other", pattern: "cake", actions: [] }] }]);
    const outcomes = push.evaluatePush(message, plain, [...users, { userId: "@c:x", rules: cakeFirst }]);
    expect(outcomes.map((o) => o.matched && o.ruleId)).toEqual(["tea", "cake", "other"]);
  });

  test("released rule sets are dropped from the module with the next call", () => {
    const { core } = swappable();
    const calls: { operation: string; input: string; output: string }[] = [];
    const push = createPushEngine({
      call: (operation, input) => {
        const output = core.call(operation, input);
        calls.push({ operation, input: new TextDecoder().decode(input), output: new TextDecoder().decode(output) });
        return output;
      },
    });
    const [teaSet, cakeSet] = push.preparePushRules([tea, cake]);
    teaSet!.release();
    expect(calls.map((c) => c.operation)).toEqual(["push_prepare"]);
    push.evaluatePush(message, plain, [{ userId: "@b:x", rules: cakeSet }]);
    expect(calls.map((c) => c.operation)).toEqual(["push_prepare", "push_release", "push_evaluate"]);
    const preparedIds = JSON.parse(calls[0]!.output).ids as number[];
    expect(JSON.parse(calls[1]!.input).ids).toEqual([preparedIds[0]]);
    expect(push.evaluatePush(message, plain, [{ userId: "@b:x", rules: cakeSet }])[0]).toMatchObject({ ruleId: "cake" });
  });

  test("the engine built by createEngine has the same methods", () => {
    const full = createEngine(swappable().core);
    expect(full.evaluatePush(message, plain, [{ userId: "@a:x" }])[0]).toMatchObject({ ruleId: ".m.rule.message" });
  });
});

test("a prepared rule set that is no longer reachable is dropped from the module", async () => {
  const calls: string[] = [];
  const push = createPushEngine({ call: (operation, input) => (calls.push(operation), engineCore.call(operation, input)) });
  (() => push.preparePushRules([{ content: [{ rule_id: "gone", pattern: "x", actions: [] }] }]))();
  for (let i = 0; i < 20 && !calls.includes("push_release"); i++) {
    Bun.gc(true);
    await Bun.sleep(10);
    push.evaluatePush({ type: "m.room.message", content: {} }, { memberCount: 1, senderPowerLevel: 0 }, []);
  }
  expect(calls).toContain("push_release");
});

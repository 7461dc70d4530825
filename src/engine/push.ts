// Push rules through the Rust core (wasm/src/push/): the server-default rules for a user, a
// user's stored rules merged with them, and one event evaluated for every recipient in one
// call into the module. https://spec.matrix.org/v1.19/client-server-api/#push-rules
import type { WasmCore } from "./wasm-module.ts";

export type PushRuleKind = "override" | "content" | "room" | "sender" | "underride";

/** A condition of an override or underride rule; unknown kinds never match. */
export interface PushCondition {
  kind: string;
  /** Dotted event property (`content.m\\.relates_to.rel_type`), or a notifications key. */
  key?: string;
  pattern?: string;
  is?: string;
  value?: string | number | boolean | null;
  [other: string]: unknown;
}

/** `"notify"`, `{set_tweak, value?}`, or an action clients and gateways agreed on. */
export type PushAction = string | { set_tweak: string; value?: unknown } | { [key: string]: unknown };

export interface PushRule {
  rule_id: string;
  default: boolean;
  enabled: boolean;
  actions: PushAction[];
  conditions?: PushCondition[];
  pattern?: string;
}

/** A full rule set as `GET /pushrules/global/` returns it, in priority order per kind. */
export type PushRuleset = Record<PushRuleKind, PushRule[]>;

/** A rule as stored: a user's own rule, or a change to a default rule (`enabled`, `actions`). */
export interface StoredPushRule {
  rule_id: string;
  actions?: PushAction[];
  enabled?: boolean;
  conditions?: PushCondition[];
  pattern?: string;
  default?: boolean;
}

/**
 * A user's stored rules in the shape of `GET /pushrules/global/` (or `{global: ...}`, the
 * `m.push_rules` account data). Treat it as immutable once passed in: the engine compiles each
 * distinct object once per evaluation and shares it between the users that hold it.
 */
export type StoredPushRules = Partial<Record<PushRuleKind, readonly StoredPushRule[]>> | { global: Partial<Record<PushRuleKind, readonly StoredPushRule[]>> };

export interface PushRuleOptions {
  /**
   * Adds the legacy mention rules v1.17 removed (`.m.rule.contains_display_name`,
   * `.m.rule.roomnotif`, `.m.rule.contains_user_name`), for clients that send no
   * `m.mentions`; they never apply to events that have it. Off by default, as the spec has it.
   */
  legacyMentionRules?: boolean;
}

/** What every recipient shares. */
export interface PushContext extends PushRuleOptions {
  /** Joined members of the room, for `room_member_count`. */
  memberCount: number;
  /** The sender's power level; `Infinity` for the creators of a v12 room. */
  senderPowerLevel: number;
  /** `notifications` of the room's power levels (`room` defaults to 50). */
  notificationPowerLevels?: Readonly<Record<string, number>>;
}

/**
 * A user's stored rules compiled once and kept inside the engine (see wasm/src/push/registry.rs),
 * so evaluating a message does not send or compile them again. Keep it with the user's cached
 * rules; `release()` it when they change (an unreachable one is released when collected).
 */
export interface PreparedPushRules {
  /** Some rule reads the display name (`contains_display_name`). */
  readonly readsDisplayName: boolean;
  release(): void;
}

export interface PushRecipient {
  userId: string;
  /** Their display name in the room, for `contains_display_name`. */
  displayName?: string | null;
  /** Their stored or prepared rules; absent or null for the server defaults alone. */
  rules?: StoredPushRules | PreparedPushRules | null;
}

/** The first matching rule and what its actions mean. */
export interface PushMatch {
  readonly matched: true;
  readonly kind: PushRuleKind;
  readonly ruleId: string;
  /** The rule's actions, historical `dont_notify` and `coalesce` stripped. */
  readonly actions: readonly PushAction[];
  /** Every `set_tweak`; `highlight` without a value is `true`. */
  readonly tweaks: Readonly<Record<string, unknown>>;
  readonly notify: boolean;
  readonly highlight: boolean;
  /** The `sound` tweak when it is a string. */
  readonly sound: string | null;
}

/** No notification: no rule matched, or the recipient sent the event themselves. */
export interface PushNoMatch {
  readonly matched: false;
  readonly reason: "no_rule" | "own_event";
  readonly actions: null;
  readonly notify: false;
  readonly highlight: false;
  readonly sound: null;
}

export type PushOutcome = PushMatch | PushNoMatch;

export interface PushEngine {
  /** The server-default rules for `userId` (its id and localpart filled in). */
  defaultPushRules(userId: string, options?: PushRuleOptions): PushRuleset;
  /** A user's stored rules merged with the defaults, as `GET /pushrules/global/` shows them. */
  effectivePushRules(userId: string, stored: StoredPushRules | null | undefined, options?: PushRuleOptions): PushRuleset;
  /** Compiles stored rule sets once (one call for all of them), for `evaluatePush` to reuse. */
  preparePushRules(stored: readonly StoredPushRules[]): PreparedPushRules[];
  /**
   * Evaluates `event` for every recipient in one call into the module; the outcomes are in
   * recipient order. Recipients who share a `rules` object (or have none) share the work.
   * User ids must not contain a newline (no valid one does).
   */
  evaluatePush(event: object, context: PushContext, recipients: readonly PushRecipient[]): PushOutcome[];
}

const NO_RULE: PushNoMatch = Object.freeze({ matched: false, reason: "no_rule", actions: null, notify: false, highlight: false, sound: null });
const OWN_EVENT: PushNoMatch = Object.freeze({ matched: false, reason: "own_event", actions: null, notify: false, highlight: false, sound: null });

interface WireActions {
  actions: PushAction[];
  tweaks: Record<string, unknown>;
  notify: boolean;
  highlight: boolean;
  sound: string | null;
}

type WireEvaluation = { unknown_registry: true } | { actions: WireActions[]; outcomes: [PushRuleKind, string, number][]; results: number[] };
type WirePrepared = { unknown_registry: true } | { ids: number[]; reads_display_name: boolean[] };

/** Where a prepared rule set lives: its registry key and id (both change if prepared again). */
interface Slot {
  key: string;
  id: number;
}

class Prepared implements PreparedPushRules {
  released = false;
  constructor(
    readonly slot: Slot,
    /** The stored rules as JSON, to prepare them again if the module was replaced. */
    readonly text: string,
    readonly readsDisplayName: boolean,
    private readonly onRelease: (prepared: Prepared) => void,
  ) {}

  release(): void {
    if (this.released) return;
    this.released = true;
    this.onRelease(this);
  }
}

const encoder = new TextEncoder();
const decoder = new TextDecoder();

export function createPushEngine(core: WasmCore): PushEngine {
  const callJson = (operation: "push_default_rules" | "push_effective_rules" | "push_evaluate" | "push_prepare" | "push_release", text: string): unknown =>
    JSON.parse(decoder.decode(core.call(operation, encoder.encode(text))));

  // The registry that holds this engine's prepared rule sets. A trap makes the module start
  // over without it; the module then answers `unknown_registry` and the rule sets are prepared
  // again under a new key, so no stale id can name another user's rules.
  let key = crypto.randomUUID();
  let created = false;
  let pendingReleases: number[] = [];
  const collected = new FinalizationRegistry<Slot>((slot) => {
    if (slot.key === key) pendingReleases.push(slot.id);
  });
  const release = (prepared: Prepared) => {
    collected.unregister(prepared);
    if (prepared.slot.key === key) pendingReleases.push(prepared.slot.id);
  };
  const flushReleases = () => {
    if (pendingReleases.length === 0) return;
    const ids = pendingReleases;
    pendingReleases = [];
    callJson("push_release", JSON.stringify({ registry: key, ids }));
  };
  const newRegistry = () => {
    key = crypto.randomUUID();
    created = false;
    pendingReleases = [];
  };

  /** Compiles rule sets (JSON texts) into the registry: their ids and display-name flags. */
  const prepareTexts = (texts: readonly string[]): { ids: number[]; reads_display_name: boolean[] } => {
    for (let attempt = 0; attempt < 2; attempt++) {
      const input = `{"registry":${JSON.stringify(key)},"create":${!created},"rule_sets":[${texts.join(",")}]}`;
      const output = callJson("push_prepare", input) as WirePrepared;
      if ("ids" in output) {
        created = true;
        return output;
      }
      newRegistry();
    }
    throw new Error("push_prepare: the module lost its registry twice in a row");
  };

  /** Prepares `handles` again under the current registry (after the module was replaced). */
  const reprepare = (handles: readonly Prepared[]) => {
    if (handles.length === 0) return;
    const { ids } = prepareTexts(handles.map((handle) => handle.text));
    handles.forEach((handle, i) => {
      handle.slot.key = key;
      handle.slot.id = ids[i]!;
    });
  };

  return {
    defaultPushRules(userId, options = {}) {
      return callJson("push_default_rules", JSON.stringify({ user_id: userId, legacy_mention_rules: options.legacyMentionRules ?? false })) as PushRuleset;
    },

    effectivePushRules(userId, stored, options = {}) {
      const input = { user_id: userId, rules: stored ?? null, legacy_mention_rules: options.legacyMentionRules ?? false };
      return callJson("push_effective_rules", JSON.stringify(input)) as PushRuleset;
    },

    preparePushRules(stored) {
      flushReleases();
      const texts = stored.map((rules) => JSON.stringify(rules));
      const { ids, reads_display_name } = prepareTexts(texts);
      return ids.map((id, i) => {
        const slot = { key, id };
        const prepared = new Prepared(slot, texts[i]!, reads_display_name[i]!, release);
        collected.register(prepared, slot, prepared);
        return prepared;
      });
    },

    evaluatePush(event, context, recipients) {
      const { memberCount, senderPowerLevel } = context;
      if (!Number.isSafeInteger(memberCount) || memberCount < 0) throw new RangeError(`memberCount must be a non-negative integer, not ${memberCount}`);
      if (!Number.isSafeInteger(senderPowerLevel) && senderPowerLevel !== Infinity) {
        throw new RangeError(`senderPowerLevel must be an integer or Infinity, not ${senderPowerLevel}`);
      }
      flushReleases();
      const legacy = context.legacyMentionRules === true;

      // Per user one number: -1 the defaults alone, n >= 0 the prepared rule set n, n <= -2
      // the stored rule set sent with this call at -2 - n (each distinct object sent once).
      const inlineIndex = new Map<object, number>();
      const inline: string[] = [];
      const prepared: Prepared[] = [];
      let readsDisplayName = legacy;
      let userRules: number[] | null = null;
      const ids = new Array<string>(recipients.length);
      for (let i = 0; i < recipients.length; i++) {
        const { userId, rules } = recipients[i]!;
        ids[i] = userId;
        if (!rules) {
          if (userRules) userRules[i] = -1;
          continue;
        }
        userRules ??= new Array<number>(i).fill(-1);
        if (rules instanceof Prepared) {
          if (rules.released) throw new Error(`evaluatePush: the prepared push rules of ${userId} were released`);
          prepared.push(rules);
          readsDisplayName ||= rules.readsDisplayName;
          userRules[i] = rules.slot.id;
          continue;
        }
        let index = inlineIndex.get(rules);
        if (index === undefined) {
          const text = JSON.stringify(rules);
          readsDisplayName ||= text.includes('"contains_display_name"');
          index = inline.push(text) - 1;
          inlineIndex.set(rules, index);
        }
        userRules[i] = -2 - index;
      }
      const stale = prepared.filter((handle) => handle.slot.key !== key);
      if (stale.length > 0) {
        reprepare([...new Set(stale)]);
        recipients.forEach((recipient, i) => {
          if (recipient.rules instanceof Prepared) userRules![i] = recipient.rules.slot.id;
        });
      }

      const input = () =>
        `{"event":${JSON.stringify(event)},"member_count":${memberCount},` +
        `"sender_power_level":${senderPowerLevel === Infinity ? '"infinite"' : senderPowerLevel},` +
        `"notification_levels":${JSON.stringify(context.notificationPowerLevels ?? {})},"legacy_mention_rules":${legacy},` +
        `"registry":${JSON.stringify(key)},"rule_sets":[${inline.join(",")}],` +
        `"user_count":${recipients.length},"user_rules":${userRules ? JSON.stringify(userRules) : "null"},` +
        `"display_names":${readsDisplayName ? JSON.stringify(recipients.map((r) => r.displayName ?? null)) : "null"}}` +
        // The user ids follow raw after a NUL (see evaluate_op in wasm/src/push/mod.rs).
        `\u0000${ids.join("\n")}`;

      let output = callJson("push_evaluate", input()) as WireEvaluation;
      if ("unknown_registry" in output) {
        // The module was replaced (a trap elsewhere) and forgot the prepared rule sets.
        newRegistry();
        reprepare([...new Set(prepared)]);
        recipients.forEach((recipient, i) => {
          if (recipient.rules instanceof Prepared) userRules![i] = recipient.rules.slot.id;
        });
        output = callJson("push_evaluate", input()) as WireEvaluation;
        if ("unknown_registry" in output) throw new Error("push_evaluate: the module lost its registry twice in a row");
      }
      const actions = output.actions;
      const outcomes = output.outcomes.map(([kind, ruleId, index]): PushMatch => {
        const wire = actions[index]!;
        return { matched: true, kind, ruleId, actions: wire.actions, tweaks: wire.tweaks, notify: wire.notify, highlight: wire.highlight, sound: wire.sound };
      });
      return output.results.map((result) => (result >= 0 ? outcomes[result]! : result === -2 ? OWN_EVENT : NO_RULE));
    },
  };
}

// What PUT /pushrules/global/{kind}/{ruleId} and its /actions variant accept: rule ids, kinds,
// actions and conditions, refused with 400 before anything is stored. The engine leaves out
// malformed stored rules silently; the API tells the client instead.
// https://spec.matrix.org/v1.19/client-server-api/#put_matrixclientv3pushrulesglobalkindruleid
// https://spec.matrix.org/v1.19/client-server-api/#conditions-1
import type { PushAction, PushCondition, PushRuleKind } from "../engine/index.ts";
import { badJson, MatrixError } from "../protocol/matrix-error.ts";

export const RULE_KINDS: readonly PushRuleKind[] = ["override", "content", "room", "sender", "underride"];

/** Limit: characters of a rule id (room and user ids, the ids of room and sender rules, are at most 255). */
export const MAX_RULE_ID_LENGTH = 255;
/**
 * Limit: characters of a glob pattern. The engine has none, and matching a content pattern costs
 * up to (body length x pattern length) per rule and event, on the one thread that evaluates
 * every member's rules.
 */
export const MAX_PATTERN_LENGTH = 128;
/** Limit: conditions of one rule. */
export const MAX_CONDITIONS = 16;
/** Limit: actions of one rule. */
export const MAX_ACTIONS = 16;
/** Limit: a user's own rules, all kinds together (each is compiled and checked against every event they may be notified of). */
export const MAX_USER_RULES = 1_000;

export const invalidParam = (message: string) => new MatrixError(400, "M_INVALID_PARAM", message);

export function checkKind(kind: string): PushRuleKind {
  if (!(RULE_KINDS as readonly string[]).includes(kind)) throw invalidParam(`Unknown push rule kind '${kind}': expected one of ${RULE_KINDS.join(", ")}`);
  return kind as PushRuleKind;
}

/** A rule id a user may create: not reserved for server defaults ("."), no slashes. */
export function checkNewRuleId(ruleId: string): void {
  if (ruleId === "") throw invalidParam("rule_id must not be empty");
  if (ruleId.startsWith(".")) throw invalidParam("rule_ids starting with '.' are reserved for server-default rules");
  if (ruleId.includes("/") || ruleId.includes("\\")) throw invalidParam("rule_id may not contain slashes or backslashes");
  if (ruleId.length > MAX_RULE_ID_LENGTH) throw invalidParam(`rule_id is longer than ${MAX_RULE_ID_LENGTH} characters`);
}

/** `notify`, the historical `dont_notify` and `coalesce` (kept, the engine ignores them), or `{set_tweak, value?}`. */
export function checkActions(value: unknown): PushAction[] {
  if (!Array.isArray(value)) throw badJson("actions must be an array");
  if (value.length > MAX_ACTIONS) throw invalidParam(`A rule may have at most ${MAX_ACTIONS} actions`);
  for (const action of value) {
    if (typeof action === "string") {
      if (action !== "notify" && action !== "dont_notify" && action !== "coalesce") throw invalidParam(`Unrecognised action '${action}'`);
    } else if (typeof action !== "object" || action === null || Array.isArray(action) || typeof (action as { set_tweak?: unknown }).set_tweak !== "string") {
      throw invalidParam(`Unrecognised action ${JSON.stringify(action)}`);
    }
  }
  return value as PushAction[];
}

function checkPattern(value: unknown, what: string): string {
  if (typeof value !== "string") throw badJson(`${what} must be a string`);
  if (value.length > MAX_PATTERN_LENGTH) throw invalidParam(`${what} is longer than ${MAX_PATTERN_LENGTH} characters`);
  return value;
}

const isScalar = (value: unknown) =>
  value === null || typeof value === "string" || typeof value === "boolean" || (typeof value === "number" && Number.isSafeInteger(value));

/** The parameters each defined condition kind needs; unknown kinds are kept (they never match, as the spec says). */
function checkCondition(value: unknown, index: number): PushCondition {
  const where = `conditions[${index}]`;
  if (typeof value !== "object" || value === null || Array.isArray(value)) throw badJson(`${where} must be an object`);
  const condition = value as Record<string, unknown>;
  if (typeof condition.kind !== "string") throw badJson(`${where}.kind must be a string`);
  const needKey = () => {
    if (typeof condition.key !== "string") throw badJson(`${where}.key must be a string`);
    checkPattern(condition.key, `${where}.key`);
  };
  switch (condition.kind) {
    case "event_match":
      needKey();
      checkPattern(condition.pattern, `${where}.pattern`);
      break;
    case "event_property_is":
    case "event_property_contains":
      needKey();
      if (!("value" in condition) || !isScalar(condition.value)) throw badJson(`${where}.value must be a string, an integer, a boolean or null`);
      break;
    case "room_member_count":
      if (typeof condition.is !== "string" || !/^(==|<|>|<=|>=)?[0-9]{1,15}$/.test(condition.is)) throw badJson(`${where}.is must be an integer with an optional ==, <, >, <= or >= prefix`);
      break;
    case "sender_notification_permission":
      needKey();
      break;
  }
  return condition as PushCondition;
}

export function checkConditions(value: unknown): PushCondition[] {
  if (!Array.isArray(value)) throw badJson("conditions must be an array");
  if (value.length > MAX_CONDITIONS) throw invalidParam(`A rule may have at most ${MAX_CONDITIONS} conditions`);
  return value.map(checkCondition);
}

/** The rule a PUT body defines, in the stored shape the engine reads (enabled: new and re-put rules start enabled). */
export function ruleFromBody(kind: PushRuleKind, ruleId: string, body: Record<string, unknown>): Record<string, unknown> {
  const actions = checkActions(body.actions);
  const rule: Record<string, unknown> = { rule_id: ruleId, actions, enabled: true };
  if (kind === "content") {
    if (body.pattern === undefined) throw badJson("Content rules need a pattern");
    rule.pattern = checkPattern(body.pattern, "pattern");
  } else if (kind === "override" || kind === "underride") {
    // Required as Synapse requires it: a rule without conditions matches every event.
    if (body.conditions === undefined) throw badJson(`${kind} rules need conditions`);
    rule.conditions = checkConditions(body.conditions);
  }
  return rule;
}

// Push rules API through HTTP: reading the merged rule set, creating own rules with
// before/after, server-default rules changed only through enabled/actions, and every refusal.
// https://spec.matrix.org/v1.19/client-server-api/#push-rules-api
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { MAX_CONDITIONS, MAX_PATTERN_LENGTH } from "../../src/push/rule-checks.ts";
import { roomsTestServer, type RoomsTestServer, type Session } from "../helpers/rooms.ts";

let s: RoomsTestServer;
let alice: Session;
let bob: Session;
const enc = encodeURIComponent;
const v3 = "/_matrix/client/v3";
const rule = (kind: string, ruleId: string, suffix = "") => `${v3}/pushrules/global/${kind}/${enc(ruleId)}${suffix}`;
const expectError = (res: { status: number; body: any }, status: number, errcode: string) => expect([res.status, res.body?.errcode]).toEqual([status, errcode]);
const ids = (rules: { rule_id: string }[]) => rules.map((r) => r.rule_id);
const own = (rules: { rule_id: string }[]) => ids(rules).filter((id) => !id.startsWith("."));

beforeAll(async () => {
  s = await roomsTestServer();
  alice = await s.register("alice");
  bob = await s.register("bob");
});
afterAll(() => s.close());

describe("reading", () => {
  test("GET /pushrules/ (with and without the slash, r0 too): the server defaults for this user", async () => {
    const all = await s.ok("GET", `${v3}/pushrules/`, { token: alice.token });
    expect(await s.ok("GET", `${v3}/pushrules`, { token: alice.token })).toEqual(all);
    expect(await s.ok("GET", "/_matrix/client/r0/pushrules/", { token: alice.token })).toEqual(all);
    expect(Object.keys(all.global).sort()).toEqual(["content", "override", "room", "sender", "underride"]);
    expect(ids(all.global.override)[0]).toBe(".m.rule.master");
    expect(ids(all.global.underride)).toContain(".m.rule.message");
    const mention = all.global.override.find((r: any) => r.rule_id === ".m.rule.is_user_mention");
    expect(mention.conditions[0].value).toBe(alice.userId);
    expect(mention).toMatchObject({ default: true, enabled: true });
    expect(await s.ok("GET", `${v3}/pushrules/global/`, { token: alice.token })).toEqual(all.global);
  });

  test("a single rule, its enabled flag and actions; a kind's list", async () => {
    expect(await s.ok("GET", rule("override", ".m.rule.master"), { token: alice.token })).toEqual({
      rule_id: ".m.rule.master", default: true, enabled: false, conditions: [], actions: [],
    });
    expect(await s.ok("GET", rule("override", ".m.rule.master", "/enabled"), { token: alice.token })).toEqual({ enabled: false });
    expect(await s.ok("GET", rule("underride", ".m.rule.message", "/actions"), { token: alice.token })).toEqual({ actions: ["notify"] });
    expect(ids(await s.ok("GET", `${v3}/pushrules/global/underride/`, { token: alice.token }))).toContain(".m.rule.call");
  });

  test("unknown rules are 404 M_NOT_FOUND, unknown kinds 400, no token 401", async () => {
    expectError(await s.call("GET", rule("override", "nope"), { token: alice.token }), 404, "M_NOT_FOUND");
    expectError(await s.call("GET", rule("content", ".m.rule.master"), { token: alice.token }), 404, "M_NOT_FOUND");
    expectError(await s.call("GET", rule("override", "nope", "/enabled"), { token: alice.token }), 404, "M_NOT_FOUND");
    expectError(await s.call("GET", rule("bogus", "x"), { token: alice.token }), 400, "M_INVALID_PARAM");
    expectError(await s.call("GET", `${v3}/pushrules/global/bogus/`, { token: alice.token }), 400, "M_INVALID_PARAM");
    expectError(await s.call("GET", `${v3}/pushrules/`), 401, "M_MISSING_TOKEN");
  });
});

describe("own rules", () => {
  test("PUT creates an enabled rule, shown as not default, most important of its kind", async () => {
    const body = { pattern: "cake*lie", actions: ["notify", { set_tweak: "highlight" }] };
    expect(await s.call("PUT", rule("content", "nocake"), { token: alice.token, body })).toEqual({ status: 200, body: {} });
    expect(await s.ok("GET", rule("content", "nocake"), { token: alice.token })).toEqual({ rule_id: "nocake", default: false, enabled: true, ...body });
    await s.ok("PUT", rule("content", "tea"), { token: alice.token, body: { pattern: "tea", actions: ["notify"] } });
    expect(own((await s.ok("GET", `${v3}/pushrules/global/`, { token: alice.token })).content)).toEqual(["tea", "nocake"]);
    // Rules are per user.
    expect(own((await s.ok("GET", `${v3}/pushrules/global/`, { token: bob.token })).content)).toEqual([]);
  });

  test("before and after place the rule; a replaced rule keeps its place and is enabled again", async () => {
    const put = (id: string, query = "") => s.ok("PUT", `${rule("override", id)}${query}`, { token: bob.token, body: { conditions: [{ kind: "event_match", key: "content.body", pattern: id }], actions: [] } });
    await put("a");
    await put("b");
    await put("c", "?after=a");
    await put("d", "?before=b");
    await put("e", "?before=c&after=d"); // both: next to `before`
    const order = async () => own((await s.ok("GET", `${v3}/pushrules/global/`, { token: bob.token })).override);
    expect(await order()).toEqual(["d", "b", "a", "e", "c"]);
    // Own override rules come after .m.rule.master and before the other defaults.
    const all = ids((await s.ok("GET", `${v3}/pushrules/global/`, { token: bob.token })).override);
    expect(all.slice(0, 6)).toEqual([".m.rule.master", "d", "b", "a", "e", "c"]);
    await s.ok("PUT", rule("override", "a", "/enabled"), { token: bob.token, body: { enabled: false } });
    await put("a");
    expect(await order()).toEqual(["d", "b", "a", "e", "c"]);
    expect(await s.ok("GET", rule("override", "a", "/enabled"), { token: bob.token })).toEqual({ enabled: true });
    await put("a", "?after=c");
    expect(await order()).toEqual(["d", "b", "e", "c", "a"]);
  });

  test("before/after naming an unknown rule is 400 (the spec's example), a default one 400 M_INVALID_PARAM", async () => {
    const body = { pattern: "x", actions: [] };
    expectError(await s.call("PUT", `${rule("content", "x")}?before=missing`, { token: alice.token, body }), 400, "M_UNKNOWN");
    expectError(await s.call("PUT", `${rule("content", "x")}?after=missing`, { token: alice.token, body }), 400, "M_UNKNOWN");
    expectError(await s.call("PUT", `${rule("override", "x")}?after=.m.rule.master`, { token: alice.token, body: { conditions: [], actions: [] } }), 400, "M_INVALID_PARAM");
    expectError(await s.call("GET", rule("content", "x"), { token: alice.token }), 404, "M_NOT_FOUND");
  });

  test("room and sender rules: the id is the room or user, no conditions shown", async () => {
    await s.ok("PUT", rule("room", "!dj234r78wl45Gh4D:test.local"), { token: alice.token, body: { actions: [] } });
    await s.ok("PUT", rule("sender", "@spambot:test.local"), { token: alice.token, body: { actions: [], conditions: [{ kind: "ignored" }] } });
    expect(await s.ok("GET", rule("room", "!dj234r78wl45Gh4D:test.local"), { token: alice.token })).toEqual({ rule_id: "!dj234r78wl45Gh4D:test.local", default: false, enabled: true, actions: [] });
    expect(await s.ok("GET", rule("sender", "@spambot:test.local"), { token: alice.token })).toEqual({ rule_id: "@spambot:test.local", default: false, enabled: true, actions: [] });
  });

  test("DELETE removes own rules; unknown 404; server defaults cannot be deleted", async () => {
    await s.ok("PUT", rule("underride", "gone"), { token: alice.token, body: { conditions: [], actions: ["notify"] } });
    expect(await s.call("DELETE", rule("underride", "gone"), { token: alice.token })).toEqual({ status: 200, body: {} });
    expectError(await s.call("GET", rule("underride", "gone"), { token: alice.token }), 404, "M_NOT_FOUND");
    expectError(await s.call("DELETE", rule("underride", "gone"), { token: alice.token }), 404, "M_NOT_FOUND");
    expectError(await s.call("DELETE", rule("underride", ".m.rule.message"), { token: alice.token }), 400, "M_INVALID_PARAM");
    expectError(await s.call("DELETE", rule("underride", ".m.rule.nonexistent"), { token: alice.token }), 404, "M_NOT_FOUND");
  });
});

describe("refused rules", () => {
  const refused: [string, string, string, unknown, number, string][] = [
    ["a rule id starting with '.'", "override", ".m.rule.master", { conditions: [], actions: [] }, 400, "M_INVALID_PARAM"],
    ["a rule id with a slash", "content", "a/b", { pattern: "a", actions: [] }, 400, "M_INVALID_PARAM"],
    ["a rule id with a backslash", "content", "a\\b", { pattern: "a", actions: [] }, 400, "M_INVALID_PARAM"],
    ["an unknown kind", "bogus", "x", { actions: [] }, 400, "M_INVALID_PARAM"],
    ["no actions", "content", "x", { pattern: "a" }, 400, "M_BAD_JSON"],
    ["actions that are not a list", "content", "x", { pattern: "a", actions: "notify" }, 400, "M_BAD_JSON"],
    ["an unknown action", "content", "x", { pattern: "a", actions: ["explode"] }, 400, "M_INVALID_PARAM"],
    ["an action object without set_tweak", "content", "x", { pattern: "a", actions: [{ value: 1 }] }, 400, "M_INVALID_PARAM"],
    ["a content rule without pattern", "content", "x", { actions: [] }, 400, "M_BAD_JSON"],
    ["a pattern that is not a string", "content", "x", { pattern: 5, actions: [] }, 400, "M_BAD_JSON"],
    ["a pattern over the limit", "content", "x", { pattern: "a".repeat(MAX_PATTERN_LENGTH + 1), actions: [] }, 400, "M_INVALID_PARAM"],
    ["an override rule without conditions", "override", "x", { actions: [] }, 400, "M_BAD_JSON"],
    ["an underride rule without conditions", "underride", "x", { actions: [] }, 400, "M_BAD_JSON"],
    ["a condition without kind", "override", "x", { conditions: [{ key: "type", pattern: "a" }], actions: [] }, 400, "M_BAD_JSON"],
    ["event_match without pattern", "override", "x", { conditions: [{ kind: "event_match", key: "type" }], actions: [] }, 400, "M_BAD_JSON"],
    ["event_property_is with an object value", "override", "x", { conditions: [{ kind: "event_property_is", key: "a", value: {} }], actions: [] }, 400, "M_BAD_JSON"],
    ["room_member_count with a bad `is`", "override", "x", { conditions: [{ kind: "room_member_count", is: "about 2" }], actions: [] }, 400, "M_BAD_JSON"],
    ["too many conditions", "override", "x", { conditions: Array.from({ length: MAX_CONDITIONS + 1 }, () => ({ kind: "contains_display_name" })), actions: [] }, 400, "M_INVALID_PARAM"],
  ];
  test.each(refused)("%s", async (_name, kind, ruleId, body, status, errcode) => {
    expectError(await s.call("PUT", rule(kind, ruleId), { token: alice.token, body }), status, errcode);
  });

  test("unknown condition kinds are kept (they never match, as the spec says)", async () => {
    await s.ok("PUT", rule("override", "future"), { token: alice.token, body: { conditions: [{ kind: "org.example.future", x: 1 }], actions: ["notify"] } });
    expect((await s.ok("GET", rule("override", "future"), { token: alice.token })).conditions).toEqual([{ kind: "org.example.future", x: 1 }]);
  });
});

describe("enabled and actions", () => {
  test("server-default rules change through enabled and actions only", async () => {
    expect(await s.call("PUT", rule("override", ".m.rule.master", "/enabled"), { token: bob.token, body: { enabled: true } })).toEqual({ status: 200, body: {} });
    expect(await s.ok("GET", rule("override", ".m.rule.master", "/enabled"), { token: bob.token })).toEqual({ enabled: true });
    await s.ok("PUT", rule("underride", ".m.rule.message", "/actions"), { token: bob.token, body: { actions: ["notify", { set_tweak: "sound", value: "bing" }] } });
    const message = await s.ok("GET", rule("underride", ".m.rule.message"), { token: bob.token });
    expect(message).toMatchObject({ default: true, enabled: true, actions: ["notify", { set_tweak: "sound", value: "bing" }] });
    // Both changes stay: enabled does not reset actions.
    await s.ok("PUT", rule("underride", ".m.rule.message", "/enabled"), { token: bob.token, body: { enabled: false } });
    expect(await s.ok("GET", rule("underride", ".m.rule.message"), { token: bob.token })).toMatchObject({ enabled: false, actions: ["notify", { set_tweak: "sound", value: "bing" }] });
    // Alice's defaults are untouched.
    expect(await s.ok("GET", rule("override", ".m.rule.master", "/enabled"), { token: alice.token })).toEqual({ enabled: false });
    await s.ok("PUT", rule("override", ".m.rule.master", "/enabled"), { token: bob.token, body: { enabled: false } });
  });

  test("own rules: actions replaced, enabled toggled", async () => {
    await s.ok("PUT", rule("content", "lunch"), { token: bob.token, body: { pattern: "lunch", actions: ["notify"] } });
    await s.ok("PUT", rule("content", "lunch", "/actions"), { token: bob.token, body: { actions: [] } });
    await s.ok("PUT", rule("content", "lunch", "/enabled"), { token: bob.token, body: { enabled: false } });
    expect(await s.ok("GET", rule("content", "lunch"), { token: bob.token })).toEqual({ rule_id: "lunch", default: false, enabled: false, pattern: "lunch", actions: [] });
  });

  test("refusals: non-boolean enabled, bad actions, unknown rules", async () => {
    expectError(await s.call("PUT", rule("override", ".m.rule.master", "/enabled"), { token: bob.token, body: { enabled: "yes" } }), 400, "M_BAD_JSON");
    expectError(await s.call("PUT", rule("override", ".m.rule.master", "/enabled"), { token: bob.token, body: {} }), 400, "M_BAD_JSON");
    expectError(await s.call("PUT", rule("override", ".m.rule.master", "/actions"), { token: bob.token, body: { actions: ["explode"] } }), 400, "M_INVALID_PARAM");
    expectError(await s.call("PUT", rule("override", ".m.rule.nonexistent", "/enabled"), { token: bob.token, body: { enabled: true } }), 404, "M_NOT_FOUND");
    expectError(await s.call("PUT", rule("content", ".m.rule.master", "/enabled"), { token: bob.token, body: { enabled: true } }), 404, "M_NOT_FOUND");
    expectError(await s.call("PUT", rule("override", "nope", "/actions"), { token: bob.token, body: { actions: [] } }), 404, "M_NOT_FOUND");
  });
});

describe("push rules stream (sync's m.push_rules)", () => {
  test("each change moves the user's position; sync sends m.push_rules with the merged rules", async () => {
    const carol = await s.register("carol");
    const source = s.services.push.pushRulesSource;
    expect(await source.lastChange(carol.userId)).toBe(0);
    const seen: [string, number][] = [];
    source.onChange((userId, position) => seen.push([userId, position]));
    await s.ok("PUT", rule("content", "tea"), { token: carol.token, body: { pattern: "tea", actions: ["notify"] } });
    const first = await source.lastChange(carol.userId);
    expect(first).toBeGreaterThan(0);
    expect(source.position()).toBeGreaterThanOrEqual(first);
    expect(seen).toEqual([[carol.userId, first]]);
    const initial = await s.sync(carol);
    const event = initial.body.account_data.events.find((e: any) => e.type === "m.push_rules");
    expect(own(event.content.global.content)).toEqual(["tea"]);
    expect(ids(event.content.global.override)).toContain(".m.rule.master");
    // Refused changes move nothing.
    await s.call("PUT", rule("content", "bad"), { token: carol.token, body: { actions: [] } });
    expect(await source.lastChange(carol.userId)).toBe(first);
    // An incremental sync carries it only after a change.
    const quiet = await s.sync(carol, { since: initial.body.next_batch, timeout: "0" });
    expect((quiet.body.account_data?.events ?? []).some((e: any) => e.type === "m.push_rules")).toBe(false);
    await s.ok("DELETE", rule("content", "tea"), { token: carol.token });
    const changed = await s.sync(carol, { since: initial.body.next_batch, timeout: "0" });
    const update = changed.body.account_data.events.find((e: any) => e.type === "m.push_rules");
    expect(own(update.content.global.content)).toEqual([]);
  });
});

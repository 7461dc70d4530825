// Bulk push evaluation through the engine facade (so JSON encoding and the wasm boundary
// count): one m.room.message against the rules of 5,000 room members in one call.
// Target (issue 3): at most 5 ms in total for defaults plus a few keyword rules each.
import { loadEngine, type PushRecipient, type StoredPushRules } from "../../src/engine/index.ts";
import { round } from "../lib.ts";

export const name = "engine-push";

const MEMBERS = 5_000;
const KEYWORDS_PER_USER = 3;

const WORDS = (
  "deploy search release incident outage dashboard review lunch coffee standup budget roadmap design " +
  "database backup migration security audit invoice meeting planning sprint retro hiring oncall pager " +
  "latency cache queue worker cluster network firewall certificate token login signup billing refund"
).split(" ");

const event = {
  type: "m.room.message",
  room_id: "!bench:example.org",
  sender: "@sender:example.org",
  event_id: "$bench-event",
  origin_server_ts: 1_700_000_000_000,
  content: {
    msgtype: "m.text",
    body: "Heads-up: the deploy of the new search service finished; please check the dashboard and report anything odd.",
    "m.mentions": { user_ids: ["@user42:example.org", "@user4242:example.org"] },
  },
};

/** Three keyword rules per user, drawn so that nearly every user's set is different. */
function keywordRules(user: number): StoredPushRules {
  const content = [];
  for (let k = 0; k < KEYWORDS_PER_USER; k++) {
    const word = WORDS[(user * 7 + k * 13 + Math.floor(user / WORDS.length)) % WORDS.length]!;
    content.push({ rule_id: `kw-${word}-${user}`, pattern: `${word}${k === 2 ? "*" : ""}`, enabled: true, actions: ["notify", { set_tweak: "highlight" }] });
  }
  return { content };
}

function recipients(kind: "own-keywords" | "defaults-only" | "shared-keywords"): PushRecipient[] {
  const shared = Array.from({ length: 50 }, (_, i) => keywordRules(i));
  return Array.from({ length: MEMBERS }, (_, i) => ({
    userId: `@user${i}:example.org`,
    displayName: `User ${i}`,
    rules: kind === "defaults-only" ? null : kind === "shared-keywords" ? shared[i % shared.length] : keywordRules(i),
  }));
}

function measure(run: () => void, seconds: number) {
  for (let i = 0; i < 20; i++) run(); // warm-up
  const times: number[] = [];
  const deadline = performance.now() + seconds * 1000;
  while (performance.now() < deadline) {
    const start = performance.now();
    run();
    times.push(performance.now() - start);
  }
  times.sort((a, b) => a - b);
  const at = (q: number) => round(times[Math.min(times.length - 1, Math.floor(q * times.length))]!, 3);
  return { calls: times.length, meanMs: round(times.reduce((a, b) => a + b, 0) / times.length, 3), p50Ms: at(0.5), p99Ms: at(0.99), maxMs: at(1) };
}

export async function run({ seconds }: { seconds: number }): Promise<Record<string, unknown>> {
  const engine = await loadEngine();
  const context = { memberCount: MEMBERS, senderPowerLevel: 0, notificationPowerLevels: { room: 50 } };
  const results: Record<string, unknown> = { members: MEMBERS, keywordRulesPerUser: KEYWORDS_PER_USER };
  const perCase = seconds / 4;
  const summary = (users: PushRecipient[]) => {
    const outcomes = engine.evaluatePush(event, context, users);
    return { notified: outcomes.filter((o) => o.notify).length, highlighted: outcomes.filter((o) => o.highlight).length };
  };

  // The intended use: each member's rules compiled once (when cached), then every message
  // evaluated against the prepared sets. Nearly all 5,000 sets differ.
  const own = recipients("own-keywords");
  const prepareStart = performance.now();
  const prepared = engine.preparePushRules(own.map((user) => user.rules as StoredPushRules));
  const prepareMs = round(performance.now() - prepareStart, 2);
  const preparedUsers = own.map((user, i) => ({ ...user, rules: prepared[i]! }));
  results["prepared-keywords"] = { prepareAllMsOnce: prepareMs, ...summary(preparedUsers), ...measure(() => engine.evaluatePush(event, context, preparedUsers), perCase) };

  // Members without rules of their own.
  const defaults = recipients("defaults-only");
  results["defaults-only"] = { ...summary(defaults), ...measure(() => engine.evaluatePush(event, context, defaults), perCase) };

  // Stored rules sent with the call: 50 distinct sets shared by the 5,000 members...
  const shared = recipients("shared-keywords");
  results["inline-shared-keywords"] = { ...summary(shared), ...measure(() => engine.evaluatePush(event, context, shared), perCase) };

  // ...and 5,000 distinct sets sent and compiled on every call (what preparing avoids).
  results["inline-own-keywords"] = { ...summary(own), ...measure(() => engine.evaluatePush(event, context, own), perCase) };
  for (const handle of prepared) handle.release();
  return results;
}

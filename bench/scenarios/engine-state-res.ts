// State resolution through the engine facade (src/engine/state-res.ts + the Rust core), so the
// preparation and the boundary count:
// - typical fork: ~50 conflicted events in a room of 30,000 state entries (target <= 5 ms);
// - fork storm: 10,000 conflicted events (target <= 1 s; through the worker, the main thread's
//   event loop never blocked more than 50 ms).
// Room version 10 (v2) and 12 (v2.1). The typical fork runs on three forms of the same states:
// - "shared": whole maps derived from a common map, as a server derives the state after each
//   event from the state before it (equal entries are the same strings);
// - "distinct": whole maps built separately (no string shared: every comparison reads both);
// - "delta": each fork as its changes on the common base (StateDelta), as state groups store it.
import { createStateResolutionWorker, loadEngine, stateKey, type Engine, type StateEvent, type StateResolutionInput } from "../../src/engine/index.ts";
import { runToCompletion, StateResolution } from "../../src/engine/state-res.ts";
import { round } from "../lib.ts";

export const name = "engine-state-res";

interface Scenario {
  input: StateResolutionInput;
  /** What the resolved state must hold, to catch a benchmark of a wrong answer. */
  expect: [key: string, id: string | undefined][];
}

type Form = "shared" | "distinct" | "delta";

/**
 * A room of `members` joined users (alice, the creator, at 100; bob, a moderator, at 50), then
 * two forks: on one, alice bans `bans` members and changes the topic; on the other, alice raises
 * a user's power level, bob changes the topic and `changes` members change their display names
 * (half of them banned on the other fork). Every event cites its auth events.
 */

function room(version: "10" | "12", members: number, bans: number, changes: number, form: Form): Scenario {
  const v12 = version === "12";
  const events = new Map<string, StateEvent>();
  const alice = "@alice:example.org";
  const bob = "@bob:example.org";
  const roomId = v12 ? "!create-0000000000000000000000000000" : "!room:example.org";
  let ts = 0;
  const add = (id: string, type: string, sender: string, key: string, content: Record<string, unknown>, auth: string[], prev: string[]) => {
    const event: StateEvent = { room_id: roomId, sender, type, state_key: key, content, auth_events: v12 ? auth.filter((a) => a !== create) : auth, prev_events: prev, origin_server_ts: ts++, depth: ts };
    if (type === "m.room.create" && v12) delete (event as { room_id?: string }).room_id;
    events.set(id, event);
    return id;
  };
  const create = v12 ? "$create-0000000000000000000000000000" : "$create";
  add(create, "m.room.create", alice, "", v12 ? { room_version: "12" } : { creator: alice, room_version: "10" }, [], []);
  const aliceJoin = add("$join-alice", "m.room.member", alice, alice, { membership: "join" }, [create], [create]);
  const users = (extra: Record<string, number>) => (v12 ? { [bob]: 50, ...extra } : { [alice]: 100, [bob]: 50, ...extra });
  const pl0 = add("$pl-0", "m.room.power_levels", alice, "", { users: users({}) }, [create, aliceJoin], [aliceJoin]);
  const jr = add("$join-rules", "m.room.join_rules", alice, "", { join_rule: "public" }, [create, aliceJoin, pl0], [pl0]);
  const base = new Map<string, string>();
  const set = (state: Map<string, string>, id: string, delta?: Map<string, string>) => {
    const event = events.get(id)!;
    state.set(stateKey(event.type, event.state_key!), id);
    delta?.set(stateKey(event.type, event.state_key!), id);
  };
  for (const id of [create, aliceJoin, pl0, jr]) set(base, id);
  let head = jr;
  const member = (i: number) => (i === 0 ? bob : `@user-${i}:example.org`);
  for (let i = 0; i < members; i++) {
    head = add(`$join-${i}`, "m.room.member", member(i), member(i), { membership: "join", displayname: `user ${i}` }, [create, pl0, jr], [head]);
    set(base, head);
  }
  const topic0 = add("$topic-0", "m.room.topic", alice, "", { topic: "welcome" }, [create, pl0, aliceJoin], [head]);
  set(base, topic0);
  const forkPoint = topic0;

  // Fork A: alice bans members 1..bans and sets a topic.
  const a = new Map(base);
  const changesA = new Map<string, string>();
  let headA = forkPoint;
  for (let i = 1; i <= bans; i++) {
    headA = add(`$ban-${i}`, "m.room.member", alice, member(i), { membership: "ban" }, [create, pl0, aliceJoin, `$join-${i}`], [headA]);
    set(a, headA, changesA);
  }
  headA = add("$topic-a", "m.room.topic", alice, "", { topic: "alice's" }, [create, pl0, aliceJoin], [headA]);
  set(a, headA, changesA);

  // Fork B: alice raises user 1 to 50 (a concurrent power levels change), bob sets a topic, and
  // members from half-way through the banned range on change their display names.
  const b = new Map(base);
  const changesB = new Map<string, string>();
  let headB = forkPoint;
  const pl1 = (headB = add("$pl-1", "m.room.power_levels", alice, "", { users: users({ [member(1)]: 50 }) }, [create, pl0, aliceJoin], [headB]));
  set(b, pl1, changesB);
  headB = add("$topic-b", "m.room.topic", bob, "", { topic: "bob's" }, [create, pl1, "$join-0"], [headB]);
  set(b, headB, changesB);
  const first = Math.max(2, Math.floor(bans / 2));
  for (let i = first; i < first + changes; i++) {
    headB = add(`$rename-${i}`, "m.room.member", member(i), member(i), { membership: "join", displayname: `renamed ${i}` }, [create, pl1, jr, `$join-${i}`], [headB]);
    set(b, headB, changesB);
  }

  const stateSets =
    form === "delta"
      ? [{ base, changes: changesA }, { base, changes: changesB }]
      : form === "distinct"
        ? [a, b].map((s) => new Map([...s].map(([k, v]) => [` ${k}`.slice(1), ` ${v}`.slice(1)])))
        : [a, b];
  // The auth chain of each state: the union of its events' auth chains (computed once here, as
  // the database would hold it).
  const chainOf = (state: Map<string, string>) => {
    const chain = new Set<string>();
    const stack = [...state.values()].flatMap((id) => events.get(id)!.auth_events as string[]);
    while (stack.length > 0) {
      const id = stack.pop()!;
      if (chain.has(id)) continue;
      chain.add(id);
      stack.push(...(events.get(id)!.auth_events as string[]));
    }
    return chain;
  };
  const banned = Math.min(bans, first + changes - 1);
  return {
    input: { roomVersion: version, stateSets, authChains: [chainOf(a), chainOf(b)], getEvent: (id) => events.get(id) },
    expect: [
      // alice's bans are power events and come first: the renames of banned members fail.
      [stateKey("m.room.member", member(banned)), `$ban-${banned}`],
      [stateKey("m.room.member", member(first + changes - 1)), `$rename-${first + changes - 1}`],
      [stateKey("m.room.power_levels", ""), "$pl-1"],
      // Mainline: alice's topic cites $pl-0, bob's $pl-1, so bob's comes last and wins.
      [stateKey("m.room.topic", ""), "$topic-b"],
    ],
  };
}

function check(engine: Engine, scenario: Scenario) {
  const resolved = engine.resolveState(scenario.input).toStateMap();
  for (const [key, id] of scenario.expect) {
    if (resolved.get(key) !== id) throw new Error(`benchmark scenario resolved ${key} to ${resolved.get(key)}, expected ${id}`);
  }
}

const percentile = (sorted: number[], q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? 0;

/** Runs `body` repeatedly for about `seconds` (at least `min` times); median and p99 in ms. */
async function time(seconds: number, min: number, body: () => unknown) {
  const samples: number[] = [];
  const end = performance.now() + seconds * 1000;
  while (samples.length < min || performance.now() < end) {
    const start = performance.now();
    await body();
    samples.push(performance.now() - start);
  }
  samples.sort((x, y) => x - y);
  return { runs: samples.length, medianMs: round(percentile(samples, 0.5), 3), p99Ms: round(percentile(samples, 0.99), 3) };
}

/** The longest the event loop went without running a turn while `body` ran. */
async function maxBlock<T>(body: () => Promise<T>): Promise<{ result: T; maxBlockMs: number }> {
  let last = performance.now();
  let max = 0;
  let running = true;
  const probe = () => {
    const now = performance.now();
    max = Math.max(max, now - last);
    last = now;
    if (running) setImmediate(probe);
  };
  setImmediate(probe);
  const result = await body();
  running = false;
  return { result, maxBlockMs: round(max, 2) };
}

export async function run({ seconds }: { seconds: number }): Promise<Record<string, unknown>> {
  const engine = await loadEngine();
  const results: Record<string, unknown> = {};
  const members = 29_995; // + create, power levels, join rules, alice, topic = 30,000 entries

  for (const version of ["10", "12"] as const) {
    for (const form of ["shared", "distinct", "delta"] as const) {
      // 15 bans, 15 renames (9 of them of banned members), 2 topics, 1 power levels change:
      // 23 conflicted keys, 46 conflicted events (47 in the full conflicted set).
      const typical = room(version, members, 15, 15, form);
      check(engine, typical);
      const sample = engine.resolveState(typical.input).stats;
      const rules = engine.roomVersions.get(version)!;
      const prepare = await time(seconds / 4, 20, () => runToCompletion(new StateResolution(typical.input, rules).prepare()));
      const total = await time(seconds / 2, 20, () => engine.resolveState(typical.input));
      results[`typicalFork.v${version}.${form}`] = {
        stateEntries: engine.resolveState(typical.input).toStateMap().size,
        ...sample,
        prepareMedianMs: prepare.medianMs,
        ...total,
      };
    }
  }

  const worker = createStateResolutionWorker(engine.roomVersions);
  try {
    for (const version of ["10", "12"] as const) {
      // 3,334 bans on one side, 3,334 renames on the other (half of them of banned members):
      // 5,002 conflicted keys, 10,004 conflicted events, a third of them power events.
      const storm = room(version, members, 3_334, 3_334, "shared");
      check(engine, storm);
      const sample = engine.resolveState(storm.input).stats;
      const sync = await time(seconds, 3, () => engine.resolveState(storm.input));
      await worker.resolveState(storm.input); // warm-up: the worker compiles its own module
      const blocks: number[] = [];
      const viaWorker = await time(seconds, 3, async () => {
        const { maxBlockMs } = await maxBlock(() => worker.resolveState(storm.input));
        blocks.push(maxBlockMs);
      });
      results[`forkStorm.v${version}`] = {
        ...sample,
        sync,
        worker: { ...viaWorker, maxEventLoopBlockMs: Math.max(...blocks) },
      };
    }
  } finally {
    worker.terminate();
  }
  return results;
}

// State resolution in a worker (src/engine/state-res-worker-client.ts): the same answers as the
// synchronous facade, and the main thread's event loop keeps turning during a fork storm.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import {
  createStateResolutionWorker,
  loadEngine,
  stateKey,
  type Engine,
  type StateEvent,
  type StateResolutionInput,
  type StateResolutionWorker,
} from "../../src/engine/index.ts";
import { WasmOperationError } from "../../src/engine/wasm-module.ts";
import { entries, loadCases, Room, stateSetsOf } from "./state-res-fixtures.ts";

let engine: Engine;
let worker: StateResolutionWorker;
beforeAll(async () => {
  engine = await loadEngine();
  worker = createStateResolutionWorker(engine.roomVersions);
});
afterAll(() => worker.terminate());

/** Every fixture case as one resolution: its state sets, or every event its own set. */
function fixtureInputs(): { name: string; input: StateResolutionInput }[] {
  const inputs = [];
  for (const folder of ["ruma", "tuwunel", "myelin"]) {
    for (const c of loadCases(folder).filter((c) => c.mode !== "auth_check")) {
      const room = Room.of(c);
      const sets = c.mode === "state_sets" ? stateSetsOf(c, room) : room.all.map((event) => room.stateOf([event.event_id]));
      inputs.push({
        name: `${folder}/${c.name}`,
        input: { roomVersion: c.room_version, stateSets: sets, authChains: sets.map((s) => room.authChainOfState(s)), getEvent: room.getEvent },
      });
    }
  }
  return inputs;
}

/**
 * A fork storm: `members` joined users; on one fork alice bans `forks` of them, on the other
 * `forks` of them change their display name (half of them banned ones).
 */
function storm(members: number, forks: number): StateResolutionInput {
  const events = new Map<string, StateEvent>();
  const alice = "@alice:example.org";
  const add = (id: string, type: string, sender: string, key: string, content: Record<string, unknown>, auth: string[]) => {
    events.set(id, { room_id: "!r:example.org", sender, type, state_key: key, content, auth_events: auth, prev_events: [], origin_server_ts: events.size });
    return id;
  };
  const user = (i: number) => `@user-${i}:example.org`;
  add("$create", "m.room.create", alice, "", { creator: alice, room_version: "10" }, []);
  add("$alice", "m.room.member", alice, alice, { membership: "join" }, ["$create"]);
  add("$pl", "m.room.power_levels", alice, "", { users: { [alice]: 100 } }, ["$create", "$alice"]);
  add("$jr", "m.room.join_rules", alice, "", { join_rule: "public" }, ["$create", "$alice", "$pl"]);
  for (let i = 0; i < members; i++) add(`$join-${i}`, "m.room.member", user(i), user(i), { membership: "join" }, ["$create", "$pl", "$jr"]);
  const base = new Map([...events].map(([id, event]) => [stateKey(event.type, event.state_key!), id]));
  const a = new Map(base);
  const b = new Map(base);
  for (let i = 0; i < forks; i++) {
    a.set(stateKey("m.room.member", user(i)), add(`$ban-${i}`, "m.room.member", alice, user(i), { membership: "ban" }, ["$create", "$pl", "$alice", `$join-${i}`]));
    const j = i + Math.floor(forks / 2);
    b.set(stateKey("m.room.member", user(j)), add(`$rename-${j}`, "m.room.member", user(j), user(j), { membership: "join", displayname: "x" }, ["$create", "$pl", "$jr", `$join-${j}`]));
  }
  const chain = (state: Map<string, string>) => new Set([...state.values()].flatMap((id) => events.get(id)!.auth_events as string[]));
  return { roomVersion: "10", stateSets: [a, b], authChains: [chain(a), chain(b)], getEvent: (id) => events.get(id) };
}

describe("the worker", () => {
  test("gives the synchronous facade's answer on every fixture case", async () => {
    const cases = fixtureInputs();
    expect(cases.length).toBe(35);
    const answers = await Promise.all(cases.map(({ input }) => worker.resolveState(input)));
    cases.forEach(({ input }, i) => {
      expect(entries(answers[i]!.toStateMap())).toEqual(entries(engine.resolveState(input).toStateMap()));
    });
  });

  test("keeps the event loop turning through a 10,000-event fork storm", async () => {
    const input = storm(20_000, 3_334);
    const sync = engine.resolveState(input);
    expect(sync.stats.fullConflictedSet).toBeGreaterThanOrEqual(10_000);
    let last = performance.now();
    let longest = 0;
    let running = true;
    const probe = () => {
      const now = performance.now();
      longest = Math.max(longest, now - last);
      last = now;
      if (running) setImmediate(probe);
    };
    setImmediate(probe);
    const answer = await worker.resolveState(input);
    running = false;
    expect(entries(answer.toStateMap())).toEqual(entries(sync.toStateMap()));
    // Banned members who renamed concurrently stay banned: bans are power events, applied first.
    expect(answer.get(stateKey("m.room.member", "@user-2000:example.org"))).toBe("$ban-2000");
    expect(answer.get(stateKey("m.room.member", "@user-4000:example.org"))).toBe("$rename-4000");
    expect(longest).toBeLessThan(50);
  }, 60_000);

  test("reports the engine's refusals and unknown room versions", async () => {
    const bad: StateResolutionInput = {
      roomVersion: "10",
      stateSets: [new Map([[stateKey("m.room.topic", ""), "$a"]]), new Map([[stateKey("m.room.topic", ""), "$b"]])],
      getEvent: () => ({ type: "m.room.topic", state_key: "", auth_events: [], sender: 5 }) as unknown as StateEvent,
      authDifference: [],
    };
    await expect(worker.resolveState(bad)).rejects.toBeInstanceOf(WasmOperationError);
    await expect(worker.resolveState({ ...bad, roomVersion: "99" })).rejects.toThrow(/unknown room version/);
  });

  test("after terminate, resolutions fail instead of hanging", async () => {
    const own = createStateResolutionWorker(engine.roomVersions);
    const { input } = fixtureInputs()[0]!;
    expect(entries((await own.resolveState(input)).toStateMap()).length).toBeGreaterThan(0);
    own.terminate();
    await expect(own.resolveState(input)).rejects.toThrow(/terminated/);
  });
});

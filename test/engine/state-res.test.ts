// State resolution through the engine facade (src/engine/state-res.ts and the Rust core), on the
// golden fixtures shared with cargo test (wasm/tests/fixtures/state-res/), in every mode their
// README describes, both ways of giving the auth difference, and shuffled.
import { beforeAll, describe, expect, test } from "bun:test";
import { loadEngine, stateKey, type Engine, type StateDelta, type StateEvent, type StateMap, type StateResolutionInput } from "../../src/engine/index.ts";
import { resolveOn, runToCompletion, StateResolution } from "../../src/engine/state-res.ts";
import { loadWasmCore, WasmOperationError, type WasmCore } from "../../src/engine/wasm-module.ts";
import {
  allAtOnce,
  entries,
  expectedState,
  fileByFile,
  literalAuthDifference,
  loadCases,
  replay,
  Room,
  stateSetsMode,
  stateSetsOf,
  type FixtureCase,
  type Resolution,
  type Resolve,
} from "./state-res-fixtures.ts";

let engine: Engine;
let core: WasmCore;
beforeAll(async () => {
  [engine, core] = await Promise.all([loadEngine(), loadWasmCore()]);
});

/**
 * Resolves through the facade; when the mode gives auth chains, also with the auth difference
 * computed literally (∪Cᵢ − ∩Cᵢ), and both must agree: that checks the facade's shortcut
 * (walking down from the conflicted events) against the definition.
 */
function facade(roomVersion: string): Resolve {
  return (resolution: Resolution) => {
    const input: StateResolutionInput = {
      roomVersion,
      stateSets: resolution.stateSets,
      authChains: resolution.authChains,
      authDifference: resolution.authDifference,
      getEvent: resolution.events,
    };
    const state = engine.resolveState(input).toStateMap();
    // The same states as deltas on one base (the first state, and the union of all states).
    for (const base of [resolution.stateSets[0] ?? new Map(), new Map(resolution.stateSets.flatMap((set) => [...set]))]) {
      const deltas = engine.resolveState({ ...input, stateSets: resolution.stateSets.map((set) => deltaOf(base, set)) });
      expect(entries(deltas.toStateMap())).toEqual(entries(state));
      for (const [key, id] of state) expect(deltas.get(key)).toBe(id);
    }
    if (resolution.authChains) {
      const literal = engine.resolveState({ ...input, authChains: undefined, authDifference: literalAuthDifference(resolution.authChains) });
      expect(entries(literal.toStateMap())).toEqual(entries(state));
    }
    return state;
  };
}

/** `set` as changes to `base`. */
function deltaOf(base: StateMap, set: StateMap): StateDelta {
  const changes = new Map<string, string | null>();
  for (const [key, id] of set) if (base.get(key) !== id) changes.set(key, id);
  for (const key of base.keys()) if (!set.has(key)) changes.set(key, null);
  return { base, changes };
}

const folders = [
  { folder: "ruma", count: 13 },
  { folder: "tuwunel", count: 7 },
  { folder: "myelin", count: 16 },
];

for (const { folder, count } of folders) {
  describe(`${folder} fixtures`, () => {
    const cases = loadCases(folder);
    test(`cases.json lists ${count} cases`, () => expect(cases).toHaveLength(count));

    for (const c of cases.filter((c) => c.mode === "batches")) {
      describe(c.name, () => {
        const room = Room.of(c);
        test("all at once", () => expect(entries(allAtOnce(room, facade(c.room_version)))).toEqual(entries(expectedState(c))));
        test("file by file", () => expect(entries(fileByFile(room, facade(c.room_version)))).toEqual(entries(expectedState(c))));
        test("replay along the DAG", () => expect(entries(replay(room, facade(c.room_version)))).toEqual(entries(expectedState(c))));
      });
    }

    for (const c of cases.filter((c) => c.mode === "state_sets")) {
      test(`${c.name} (state sets, both orders)`, () => {
        const room = Room.of(c);
        const sets = stateSetsOf(c, room);
        expect(entries(stateSetsMode(room, sets, facade(c.room_version)))).toEqual(entries(expectedState(c)));
        expect(entries(stateSetsMode(room, [...sets].reverse(), facade(c.room_version)))).toEqual(entries(expectedState(c)));
      });
    }

    for (const c of cases.filter((c) => c.mode === "auth_check")) {
      test(`${c.name} (auth check)`, () => runAuthCheck(c));
    }
  });
}

function runAuthCheck(c: FixtureCase) {
  const spec = c as FixtureCase & { event: string; checks: { state: string[]; expected: "allow" | "reject" }[] };
  const room = Room.of(c);
  expect(spec.checks.length).toBeGreaterThan(0);
  for (const check of spec.checks) {
    const outcome = engine.checkAuth(c.room_version, room.event(spec.event), check.state.map((id) => room.event(id)));
    expect(outcome.allowed).toBe(check.expected === "allow");
  }
}

describe("order independence through the facade", () => {
  /** A deterministic shuffle (mulberry32). */
  function shuffled<T>(items: readonly T[], seed: number): T[] {
    let a = seed >>> 0;
    const random = () => {
      a = (a + 0x6d2b79f5) >>> 0;
      let t = a;
      t = Math.imul(t ^ (t >>> 15), t | 1);
      t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
      return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
    };
    const out = [...items];
    for (let i = out.length - 1; i > 0; i--) {
      const j = Math.floor(random() * (i + 1));
      [out[i], out[j]] = [out[j]!, out[i]!];
    }
    return out;
  }

  test("shuffling state sets, their entries and auth chains gives the same state, on every fixture", () => {
    let checked = 0;
    for (const { folder } of folders) {
      for (const c of loadCases(folder).filter((c) => c.mode !== "auth_check")) {
        const room = Room.of(c);
        // All at once: every event its own state set, which conflicts the most.
        const sets = room.all.map((event) => room.stateOf([event.event_id]));
        const chains = room.all.map((event) => room.authChain(event.event_id));
        const reference = entries(engine.resolveState({ roomVersion: c.room_version, stateSets: sets, authChains: chains, getEvent: room.getEvent }).toStateMap());
        for (let seed = 1; seed <= 5; seed++) {
          const order = shuffled(sets.map((_, i) => i), seed);
          const answer = engine.resolveState({
            roomVersion: c.room_version,
            stateSets: order.map((i) => new Map(shuffled([...sets[i]!], seed))),
            authChains: order.map((i) => new Set(shuffled([...chains[i]!], seed))),
            getEvent: room.getEvent,
          });
          expect(entries(answer.toStateMap())).toEqual(reference);
        }
        checked++;
      }
    }
    expect(checked).toBe(35);
  });

  test("the split finds the same conflicts whatever order the entries of each state are in", () => {
    let checked = 0;
    for (const { folder } of folders) {
      for (const c of loadCases(folder).filter((c) => c.mode === "state_sets")) {
        const room = Room.of(c);
        const sets = stateSetsOf(c, room);
        const input = { roomVersion: c.room_version, stateSets: sets, authChains: sets.map((s) => room.authChainOfState(s)), getEvent: room.getEvent };
        const reference = engine.resolveState(input);
        for (let seed = 1; seed <= 5; seed++) {
          const stateSets = sets.map((set, i) => new Map(shuffled([...set], seed * 31 + i)));
          const answer = engine.resolveState({ ...input, stateSets });
          expect(answer.stats.conflictedKeys).toBe(reference.stats.conflictedKeys);
          expect(entries(answer.toStateMap())).toEqual(entries(reference.toStateMap()));
        }
        checked++;
      }
    }
    expect(checked).toBe(17);
    // Keys out of line, then a key in line whose values differ: each set's keys and values
    // must stay paired however the keys compare.
    const k = (n: string) => stateKey("t", n);
    const event = (): StateEvent => ({ type: "t", state_key: "", sender: "@a:x", auth_events: [] });
    const split = new StateResolution(
      {
        roomVersion: "10",
        stateSets: [new Map([[k("1"), "$v1"], [k("3"), "$v3"]]), new Map([[k("2"), "$v3"], [k("3"), "$w3"]])],
        authDifference: [],
        getEvent: event,
      },
      engine.roomVersions.get("10")!,
    );
    runToCompletion(split.prepare());
    expect([...split.conflictedKeys].sort()).toEqual([k("1"), k("2"), k("3")]);
    // The same state in two orders has no conflict at all.
    const room = Room.of(loadCases("ruma")[1]!);
    const state = room.stateOf(room.all.map((event) => event.event_id));
    const reordered = new Map([...state].reverse());
    expect(engine.resolveState({ roomVersion: "10", stateSets: [state, reordered], getEvent: room.getEvent }).stats.calls).toBe(0);
  });
});

describe("the boundary", () => {
  const moderated = () => {
    const c = loadCases("myelin").find((c) => c.name === "power_levels_concurrent_mods")!;
    const room = Room.of(c);
    const leaves = ["$02-m-room-power_levels-alice", "$02-m-room-power_levels-bob", "$02-m-room-power_levels-charlie"];
    const base = room.files[0]!.map((e) => e.event_id);
    const sets = leaves.map((leaf) => room.stateOf([...base, leaf]));
    return { c, room, sets };
  };

  test("a 50-key fork sends the fork's events, not the room's state", () => {
    const { room, sets } = moderated();
    // Pad the room with 2,000 unconflicted members; none of them may cross the boundary.
    const padded = sets.map((set) => new Map(set));
    const extra = new Map<string, StateEvent>();
    for (let i = 0; i < 2000; i++) {
      const id = `$member-${i}`;
      extra.set(id, { type: "m.room.member", state_key: `@u${i}:example.com`, sender: `@u${i}:example.com`, content: { membership: "join" }, auth_events: [] });
      for (const set of padded) set.set(stateKey("m.room.member", `@u${i}:example.com`), id);
    }
    const getEvent = (id: string) => room.getEvent(id) ?? extra.get(id);
    const result = engine.resolveState({ roomVersion: "10", stateSets: padded, authChains: padded.map((s) => room.authChainOfState(new Map([...s].filter(([, id]) => room.byId.has(id))))), getEvent });
    expect(result.stats.conflictedKeys).toBe(1);
    expect(result.stats.eventsSent).toBeLessThan(20);
    expect(result.stats.calls).toBe(1);
    expect([...result.delta]).toEqual([[stateKey("m.room.power_levels", ""), "$02-m-room-power_levels-charlie"]]);
    expect(result.toStateMap().size).toBe(padded[0]!.size);
  });

  test("when the engine reads something that was not sent, it asks, and the facade sends it", () => {
    // Without prefetching, the first request holds only the full conflicted set: the engine
    // asks for auth events, unconflicted entries and each link of the power levels chains.
    let cases = 0;
    let askedAgain = 0;
    for (const { folder } of folders) {
      for (const c of loadCases(folder).filter((c) => c.mode === "state_sets" || c.mode === "batches")) {
        const room = Room.of(c);
        const sets = c.mode === "state_sets" ? stateSetsOf(c, room) : room.all.map((event) => room.stateOf([event.event_id]));
        const input = { roomVersion: c.room_version, stateSets: sets, authChains: sets.map((s) => room.authChainOfState(s)), getEvent: room.getEvent };
        const asked = resolveOn(core, new StateResolution(input, engine.roomVersions.get(c.room_version)!, { prefetch: false }));
        const prefetched = engine.resolveState(input);
        if (asked.stats.calls > 1) askedAgain++;
        expect(prefetched.stats.calls).toBeLessThanOrEqual(1);
        expect(entries(asked.toStateMap())).toEqual(entries(prefetched.toStateMap()));
        cases++;
      }
    }
    expect(cases).toBe(35);
    // All at once puts every event in the full conflicted set; the state set cases must ask.
    expect(askedAgain).toBeGreaterThanOrEqual(13);
  });

  test("an event the caller cannot supply is left out, not asked for again", () => {
    const { room, sets } = moderated();
    const hidden = "$02-m-room-power_levels-charlie";
    const result = engine.resolveState({
      roomVersion: "10",
      stateSets: sets,
      authChains: sets.map((s) => room.authChainOfState(s)),
      getEvent: (id) => (id === hidden ? undefined : room.getEvent(id)),
    });
    // Without charlie's edit, alice's (first by power) and bob's (rejected: alice demoted him) remain.
    expect(result.toStateMap().get(stateKey("m.room.power_levels", ""))).toBe("$02-m-room-power_levels-alice");
  });

  test("rejected events are never admitted", () => {
    const { room, sets } = moderated();
    const result = engine.resolveState({
      roomVersion: "10",
      stateSets: sets,
      authChains: sets.map((s) => room.authChainOfState(s)),
      getEvent: room.getEvent,
      isRejected: (id) => id === "$02-m-room-power_levels-charlie",
    });
    expect(result.toStateMap().get(stateKey("m.room.power_levels", ""))).toBe("$02-m-room-power_levels-alice");
  });

  test("no conflict: no call, the first state set", () => {
    const { room, sets } = moderated();
    const result = engine.resolveState({ roomVersion: "10", stateSets: [sets[0]!, new Map(sets[0]!)], getEvent: room.getEvent });
    expect(result.stats.calls).toBe(0);
    expect(result.delta.size).toBe(0);
    expect(entries(result.toStateMap())).toEqual(entries(sets[0]!));
  });

  test("malformed requests and unknown room versions are refused", () => {
    const call = (text: string) => core.call("resolve_state", new TextEncoder().encode(text));
    expect(() => call("{")).toThrow(WasmOperationError);
    expect(() => call(`{"room_version":"99"}`)).toThrow(/unknown room version/);
    expect(() => call(`{"room_version":"10","events":[["$a",{"type":"t"}]]}`)).toThrow(/sender/);
    expect(() => engine.resolveState({ roomVersion: "99", stateSets: [], getEvent: () => undefined })).toThrow(/unknown room version/);
  });
});

describe("a 100,000-event auth chain through the facade", () => {
  // v2 walks the chain for the auth difference, the power ordering and the mainline; v2.1 also
  // for the conflicted state subgraph (every power levels event lies between the two ends).
  test.each(["10", "12"])("resolves in room version %s without overflowing either side's stack", (version) => {
    const length = 100_000;
    const v12 = version === "12";
    const alice = "@alice:example.com";
    const events = new Map<string, StateEvent>();
    const add = (id: string, type: string, content: Record<string, unknown>, auth: string[], ts: number, key = "") =>
      events.set(id, {
        room_id: v12 ? "!create" : "!room:example.com",
        sender: alice,
        type,
        state_key: key,
        content,
        auth_events: v12 ? auth.filter((a) => a !== "$create") : auth,
        origin_server_ts: ts,
      });
    add("$create", "m.room.create", v12 ? { room_version: "12" } : { creator: alice, room_version: "10" }, [], 0);
    add("$join", "m.room.member", { membership: "join" }, ["$create"], 1, alice);
    const users = v12 ? {} : { [alice]: 100 };
    for (let i = 0; i <= length; i++) {
      add(`$pl${i}`, "m.room.power_levels", { users, events_default: i % 50 }, i === 0 ? ["$create", "$join"] : ["$create", "$join", `$pl${i - 1}`], 2 + i);
    }
    add("$topic-old", "m.room.topic", { topic: "old" }, ["$create", "$join", "$pl0"], 9_000_000);
    add("$topic-new", "m.room.topic", { topic: "new" }, ["$create", "$join", `$pl${length}`], 1);
    const state = (ids: string[]) => new Map(ids.map((id) => [stateKey(events.get(id)!.type, events.get(id)!.state_key!), id]));
    const base = v12 ? ["$join"] : ["$create", "$join"];
    const oldChain = new Set([...base, "$pl0"]);
    const newChain = new Set([...base, ...Array.from({ length: length + 1 }, (_, i) => `$pl${i}`)]);
    const result = engine.resolveState({
      roomVersion: version,
      stateSets: [state(["$create", "$join", "$pl0", "$topic-old"]), state(["$create", "$join", `$pl${length}`, "$topic-new"])],
      authChains: [oldChain, newChain],
      getEvent: (id) => events.get(id),
    });
    expect(result.stats.fullConflictedSet).toBe(length + 3);
    expect(result.get(stateKey("m.room.power_levels", ""))).toBe(`$pl${length}`);
    expect(result.get(stateKey("m.room.topic", ""))).toBe("$topic-new");
  }, 60_000);
});

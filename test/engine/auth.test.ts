// Authorization rules through the engine facade (src/engine/auth.ts): the golden fixtures
// shared with `cargo test` (wasm/tests/fixtures/auth/), one check at a time and in batches,
// the auth events selection, and how the facade treats bad input.
import { beforeAll, describe, expect, test } from "bun:test";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { loadEngine, UnknownRoomVersionError, type AuthCheck, type AuthPdu, type Engine } from "../../src/engine/index.ts";
import { WasmOperationError } from "../../src/engine/wasm-module.ts";

interface FixtureCase {
  name: string;
  event: string;
  state: string[];
  expected: "allow" | "reject";
  rule?: string;
  check_auth_events?: boolean;
  rejected?: string[];
  signed_by?: string[];
}
interface Fixture {
  file: string;
  room_version: string;
  events: (AuthPdu & { event_id: string })[];
  cases: FixtureCase[];
}

const folder = join(import.meta.dir, "../../wasm/tests/fixtures/auth");
const fixtures: Fixture[] = readdirSync(folder)
  .filter((name) => name.endsWith(".json"))
  .sort()
  .map((file) => ({ file, ...(JSON.parse(readFileSync(join(folder, file), "utf8")) as Omit<Fixture, "file">) }));

let engine: Engine;
beforeAll(async () => {
  engine = await loadEngine();
});

function byId(fixture: Fixture, id: string): AuthPdu & { event_id: string } {
  const event = fixture.events.find((e) => e.event_id === id);
  if (event === undefined) throw new Error(`${fixture.file}: no event ${id}`);
  return event;
}

function toCheck(fixture: Fixture, c: FixtureCase): AuthCheck {
  const event = byId(fixture, c.event);
  return {
    event,
    authState: c.state.map((id) => byId(fixture, id)),
    authEvents: c.check_auth_events ? (event.auth_events as string[]).map((id) => byId(fixture, id)) : undefined,
    rejected: c.rejected,
    signedBy: c.signed_by ?? [],
  };
}

const expectedOf = (c: FixtureCase): { allowed: boolean; rule?: string } =>
  c.expected === "allow" ? { allowed: true } : { allowed: false, rule: c.rule };

describe("fixture cases (shared with cargo test)", () => {
  test("the fixtures are there", () => {
    expect(fixtures.map((f) => f.file)).toContain("soft_fail_tuwunel.json");
    expect(fixtures.flatMap((f) => f.cases).length).toBeGreaterThanOrEqual(60);
  });

  for (const fixture of fixtures) {
    describe(fixture.file, () => {
      test.each(fixture.cases.map((c) => [c.name, c] as const))("%s", (_name, c) => {
        const { event, authState, ...options } = toCheck(fixture, c);
        const result = engine.checkAuth(fixture.room_version, event, authState, options);
        const { reason, ...rest } = result as { reason?: string };
        expect(rest).toEqual(expectedOf(c));
        if (!result.allowed) expect(reason).toBeString();
      });

      test("the whole file as one batch", () => {
        const results = engine.checkAuthBatch(fixture.room_version, fixture.cases.map((c) => toCheck(fixture, c)));
        const withoutReasons = results.map((r): { allowed: boolean; rule?: string } => (r.allowed ? r : { allowed: false, rule: r.rule }));
        expect(withoutReasons).toEqual(fixture.cases.map(expectedOf));
      });
    });
  }
});

describe("the soft-fail fixture (tuwunel auth_check mode)", () => {
  test("allowed at its position, rejected against the current state", () => {
    const fixture = fixtures.find((f) => f.file === "soft_fail_tuwunel.json")!;
    const events = new Map(fixture.events.map((e) => [e.event_id, e]));
    const state = (ids: string[]) => ids.map((id) => events.get(id)!);
    const leave = events.get("$ghost_delayed_leave")!;
    expect(engine.checkAuth("10", leave, state(["$create", "$alice_join", "$power", "$join_rules", "$ghost_join"]))).toEqual({ allowed: true });
    const current = engine.checkAuth("10", leave, state(["$create", "$alice_join", "$power", "$join_rules", "$ghost_current_leave"]));
    expect(current).toMatchObject({ allowed: false, rule: "4.5.1" });
  });
});

describe("authTypesForEvent", () => {
  const join = { room_id: "!r:x", sender: "@d:x", type: "m.room.member", state_key: "@d:x", content: { membership: "join", join_authorised_via_users_server: "@b:x" } };

  test("the selection for a restricted join, per version", () => {
    expect(engine.authTypesForEvent("10", join)).toEqual([
      ["m.room.create", ""],
      ["m.room.power_levels", ""],
      ["m.room.member", "@d:x"],
      ["m.room.join_rules", ""],
      ["m.room.member", "@b:x"],
    ]);
    // v7 has no restricted joins; v12 never selects the create event.
    expect(engine.authTypesForEvent("7", join)).toHaveLength(4);
    expect(engine.authTypesForEvent("12", join)).not.toContainEqual(["m.room.create", ""]);
  });

  test("nothing for a create event", () => {
    expect(engine.authTypesForEvent("12", { sender: "@a:x", type: "m.room.create", state_key: "", content: {} })).toEqual([]);
  });
});

describe("the facade", () => {
  const message: AuthPdu = { room_id: "!r:x", sender: "@a:x", type: "m.room.message", content: {} };

  test("an unknown room version is an error", () => {
    expect(() => engine.checkAuth("99", message, [])).toThrow(UnknownRoomVersionError);
    expect(() => engine.authTypesForEvent("99", message)).toThrow(UnknownRoomVersionError);
  });

  test("malformed events are errors, not rejections", () => {
    expect(() => engine.checkAuth("10", { ...message, sender: 5 } as unknown as AuthPdu, [])).toThrow(WasmOperationError);
    // A state event needs its id; an auth event the event lists must be given.
    expect(() => engine.checkAuth("10", message, [{ sender: "@a:x", type: "m.room.create", state_key: "", content: {} }])).toThrow(WasmOperationError);
    expect(() => engine.checkAuth("10", { ...message, auth_events: ["$gone"] }, [], { authEvents: [] })).toThrow(WasmOperationError);
  });

  test("no create event in the state is a rejection with the version's rule", () => {
    expect(engine.checkAuth("10", message, [])).toMatchObject({ allowed: false, rule: "2.4" });
    expect(engine.checkAuth("12", message, [])).toMatchObject({ allowed: false, rule: "2" });
  });

  test("signatures and hashes do not need to cross", () => {
    const fixture = fixtures.find((f) => f.file === "hard_cases_v10.json")!;
    const c = fixture.cases.find((x) => x.name.startsWith("join rules vs join: ella joins the public"))!;
    const { event, authState } = toCheck(fixture, c);
    const heavy = { ...event, signatures: { "example.com": { "ed25519:1": "x".repeat(86) } }, hashes: { sha256: "y" }, unsigned: { age: 5 } };
    expect(engine.checkAuth("10", heavy, authState)).toEqual({ allowed: true });
  });
});

describe("the state cache in the module", () => {
  test("a fresh instance (after a trap or eviction) gets the events again", async () => {
    const fixture = fixtures.find((f) => f.file === "soft_fail_tuwunel.json")!;
    const events = new Map(fixture.events.map((e) => [e.event_id, e]));
    const state = ["$create", "$alice_join", "$power", "$join_rules", "$ghost_current_leave"].map((id) => events.get(id)!);
    const leave = events.get("$ghost_delayed_leave")!;
    const { loadWasmCore } = await import("../../src/engine/wasm-module.ts");
    const { createEngine } = await import("../../src/engine/index.ts");
    const core = await loadWasmCore();
    let calls = 0;
    let misses = 0;
    let fresh = core;
    const flaky = {
      call(operation: Parameters<typeof core.call>[0], input: Uint8Array) {
        calls++;
        try {
          return fresh.call(operation, input);
        } catch (error) {
          if (String((error as Error).message).startsWith("auth cache miss")) misses++;
          throw error;
        }
      },
    };
    const local = createEngine(flaky);
    expect(local.checkAuth("10", leave, state)).toMatchObject({ allowed: false, rule: "4.5.1" });
    const before = calls;
    expect(local.checkAuth("10", leave, state)).toMatchObject({ allowed: false, rule: "4.5.1" });
    expect(calls - before).toBe(1); // served from the module's cache
    fresh = await loadWasmCore(); // a new instance knows none of the tokens
    expect(local.checkAuth("10", leave, state)).toMatchObject({ allowed: false, rule: "4.5.1" });
    expect(local.checkAuthBatch("10", [{ event: leave, authState: state }])).toMatchObject([{ allowed: false, rule: "4.5.1" }]);
    expect(misses).toBe(1);
  });
});

// Authorization checks through the engine facade (src/engine/auth.ts), boundary cost
// included: JSON encoding of the event and its auth state, the copy into wasm memory, the
// rules, and decoding the result. Realistic room version 11 PDUs (signatures and hashes
// included; the facade leaves them on this side) in a room with 40 members and a power levels
// event listing 20 users. Mix: 7 messages to 1 state event (joins, topics, power level edits).
//
// Measured four ways: `checkAuth` one event at a time (mean from the total time, percentiles
// from per-call timings), the same with fresh state objects every call (so the module's state
// cache never hits: the cost of a room's first checks), `checkAuth` with the event's auth_events
// list too (rule 2, as on receipt, step 4), and `checkAuthBatch` with 100 and 1,000 events per
// call sharing their state events.
import { loadEngine, type AuthCheck, type AuthPdu, type Engine } from "../../src/engine/index.ts";
import { round } from "../lib.ts";

export const name = "engine-auth";

const ROOM_VERSION = "11";
const ROOM = "!OGEhHVWSdvArJzumhm:matrix.org";
const user = (i: number) => `@user${i}:example.org`;
const signatures = (i: number) => ({ "example.org": { "ed25519:a_AbCd": `${"S".repeat(80)}${String(i).padStart(6, "0")}` } });

function pdu(eventId: string, sender: string, type: string, stateKey: string | undefined, content: Record<string, unknown>, authEvents: string[]): AuthPdu & { event_id: string } {
  return {
    event_id: eventId,
    room_id: ROOM,
    sender,
    type,
    ...(stateKey === undefined ? {} : { state_key: stateKey }),
    content,
    prev_events: [`$prev${eventId}`],
    auth_events: authEvents,
    depth: 1000,
    origin_server_ts: 1_730_000_000_000,
    hashes: { sha256: "q".repeat(43) },
    signatures: signatures(eventId.length),
    unsigned: { age_ts: 1_730_000_000_000 },
  } as AuthPdu & { event_id: string };
}

function room() {
  const create = pdu("$create", user(0), "m.room.create", "", { room_version: ROOM_VERSION }, []);
  const users: Record<string, number> = {};
  for (let i = 0; i < 20; i++) users[user(i)] = i === 0 ? 100 : i < 3 ? 50 : 10;
  const powerLevels = pdu("$pl", user(0), "m.room.power_levels", "", {
    users,
    users_default: 0,
    events: { "m.room.name": 50, "m.room.power_levels": 100, "m.room.history_visibility": 100, "m.room.tombstone": 100 },
    events_default: 0,
    state_default: 50,
    ban: 50,
    kick: 50,
    redact: 50,
    invite: 0,
    notifications: { room: 50 },
  }, ["$create"]);
  const joinRules = pdu("$jr", user(0), "m.room.join_rules", "", { join_rule: "public" }, ["$create", "$pl"]);
  const members = new Map<string, AuthPdu & { event_id: string }>();
  for (let i = 0; i < 40; i++) {
    members.set(user(i), pdu(`$m${i}`, user(i), "m.room.member", user(i), { membership: "join", displayname: `User ${i}` }, ["$create", "$pl", "$jr"]));
  }
  return { create, powerLevels, joinRules, members };
}

/** Each event with the state its authorization reads (as authTypesForEvent selects it). */
export function workload(count: number): AuthCheck[] {
  const { create, powerLevels, joinRules, members } = room();
  const checks: AuthCheck[] = [];
  for (let i = 0; i < count; i++) {
    const sender = user(i % 40);
    const member = members.get(sender)!;
    const kind = i % 8;
    let event: AuthPdu;
    let state: AuthPdu[] = [create, powerLevels, member];
    if (kind === 3) {
      const joiner = `@new${i}:other.org`;
      event = pdu(`$e${i}`, joiner, "m.room.member", joiner, { membership: "join", displayname: "New" }, ["$create", "$pl", "$jr"]);
      state = [create, powerLevels, joinRules];
    } else if (kind === 5) {
      event = pdu(`$e${i}`, user(1), "m.room.topic", "", { topic: `Topic ${i}` }, ["$create", "$pl", "$m1"]);
      state = [create, powerLevels, members.get(user(1))!];
    } else if (kind === 7) {
      const content = structuredClone(powerLevels.content) as { users: Record<string, number> };
      content.users[user(30)] = 10;
      event = pdu(`$e${i}`, user(0), "m.room.power_levels", "", content, ["$create", "$pl", "$m0"]);
      state = [create, powerLevels, members.get(user(0))!];
    } else {
      const body = `message ${i} `.repeat(20);
      event = pdu(`$e${i}`, sender, "m.room.message", undefined, { msgtype: "m.text", body }, ["$create", "$pl", member.event_id]);
    }
    checks.push({ event, authState: state, signedBy: ["example.org"] });
  }
  return checks;
}

function percentile(sorted: Float64Array, p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))]!;
}

/** Single calls for `seconds`: mean from the total, percentiles from per-call timings. */
function single(seconds: number, checks: AuthCheck[], call: (check: AuthCheck) => void) {
  for (let i = 0; i < 2000; i++) call(checks[i % checks.length]!); // warm-up
  const samples: number[] = [];
  const end = performance.now() + seconds * 1000;
  const started = Bun.nanoseconds();
  let calls = 0;
  while (performance.now() < end) {
    for (let i = 0; i < 200; i++) {
      const before = Bun.nanoseconds();
      call(checks[calls % checks.length]!);
      samples.push(Bun.nanoseconds() - before);
      calls++;
    }
  }
  const total = Bun.nanoseconds() - started;
  const sorted = Float64Array.from(samples).sort();
  return {
    calls,
    microsecondsPerEvent: round(total / calls / 1000, 2),
    p50Microseconds: round(percentile(sorted, 0.5) / 1000, 2),
    p99Microseconds: round(percentile(sorted, 0.99) / 1000, 2),
  };
}

function batched(seconds: number, checks: AuthCheck[], batchSize: number, engine: Engine) {
  const batches: AuthCheck[][] = [];
  for (let i = 0; i + batchSize <= checks.length; i += batchSize) batches.push(checks.slice(i, i + batchSize));
  for (let i = 0; i < 5; i++) engine.checkAuthBatch(ROOM_VERSION, batches[i % batches.length]!); // warm-up
  const end = performance.now() + seconds * 1000;
  const started = Bun.nanoseconds();
  let events = 0;
  while (performance.now() < end) {
    const results = engine.checkAuthBatch(ROOM_VERSION, batches[events / batchSize % batches.length]!);
    events += results.length;
  }
  const total = Bun.nanoseconds() - started;
  return { batchSize, events, microsecondsPerEvent: round(total / events / 1000, 2), eventsPerSecond: Math.round(events / (total / 1e9)) };
}

export async function run({ seconds }: { seconds: number }): Promise<Record<string, unknown>> {
  const engine = await loadEngine();
  const checks = workload(4000);
  // Every check is allowed: a benchmark that measured rejections by mistake would say so.
  const outcomes = engine.checkAuthBatch(ROOM_VERSION, checks);
  const rejected = outcomes.filter((r) => !r.allowed);
  if (rejected.length > 0) throw new Error(`engine-auth: ${rejected.length} checks rejected: ${JSON.stringify(rejected[0])}`);

  const share = seconds / 5;
  const byId = new Map<string, AuthPdu>();
  for (const check of checks) for (const event of check.authState) byId.set(event.event_id!, event);
  return {
    roomVersion: ROOM_VERSION,
    mix: "7 messages : 1 state event (joins, topics, power level edits); 3 state events per check",
    single: single(share, checks, (c) => engine.checkAuth(ROOM_VERSION, c.event, c.authState, { signedBy: c.signedBy })),
    // Fresh state objects every call: what the module's state cache saves (first checks in a room).
    singleUncachedState: single(share, checks, (c) =>
      engine.checkAuth(ROOM_VERSION, c.event, c.authState.map((event) => ({ ...event })), { signedBy: c.signedBy }),
    ),
    singleWithAuthEventsList: single(share, checks, (c) =>
      engine.checkAuth(ROOM_VERSION, c.event, c.authState, {
        signedBy: c.signedBy,
        authEvents: (c.event.auth_events as string[]).map((id) => byId.get(id)!),
      }),
    ),
    batch100: batched(share, checks, 100, engine),
    batch1000: batched(share, checks, 1000, engine),
    target: "at most 20 us per event",
  };
}

// State resolution through the Rust core (wasm/src/state_res/): the room's state where its
// history forks. https://spec.matrix.org/v1.19/rooms/v2/#state-resolution (v1: /rooms/v1/,
// v2.1: /rooms/v12/); the room version's rules pick the algorithm.
//
// The contract, so that a fork of 50 conflicted events in a 30,000-entry room does not ship
// 30,000 events across the boundary:
//
// 1. Here, with set arithmetic on ids: split the state sets into the unconflicted state map
//    and the conflicted state set; compute the auth difference (from the auth chains) and, for
//    v2.1, the conflicted state subgraph; together they are the full conflicted set.
// 2. Send the engine (`resolve_state`, see wasm/src/state_res/op.rs) the full conflicted set,
//    the events the algorithm reads (those events, their auth events, the power levels chains
//    that mainlines and sender power walk, and their auth events) and the unconflicted entries
//    the authorization checks read, found with the spec's auth events selection.
// 3. If the engine read something that was not sent (a key or an event this side did not
//    foresee), it answers with what is missing instead; this side adds it and calls again.
//    No callback crosses the boundary; the engine stays pure.
// 4. The engine answers with the entries it decided; this side applies step 5 (the
//    unconflicted state map wins, for it knows the whole map) and returns the resolved state
//    as a delta against the first state set.
//
// The split is the one cost that grows with the room: whole state maps are walked side by side
// (maps derived from one another line up, so equal entries need no lookup), and state sets
// given as deltas on one base (StateDelta) cost only their changes.
//
// Preparation is a generator, so the same code runs to completion for `resolveState` and in
// slices that leave the event loop free for the worker variant (./state-res-worker-client.ts).
import type { RoomVersionRules } from "./room-versions.ts";
import type { WasmCore } from "./wasm-module.ts";

/** The rules the preparation reads: the algorithm, and where v12 keeps the create event. */
export type ResolutionRules = Pick<RoomVersionRules, "state_resolution" | "room_id_from_create_event">;

export type EventId = string;

/** A state map key: `stateKey(type, state_key)`. */
export type StateKey = string;

/** A room state: state key -> event id. */
export type StateMap = ReadonlyMap<StateKey, EventId>;

/**
 * A state given as changes to a base state: `changes` maps a key to its new event, or to null
 * where the state drops the key. When every state set is a delta on the same `base` object
 * (forks of one state, as a server stores them), splitting them costs the size of the changes
 * instead of the size of the room.
 */
export interface StateDelta {
  readonly base: StateMap;
  readonly changes: ReadonlyMap<StateKey, EventId | null>;
}

/** A state set: a whole state, or a delta. */
export type StateSet = StateMap | StateDelta;

const isDelta = (set: StateSet): set is StateDelta =>
  (set as StateDelta).changes !== undefined && (set as StateDelta).base !== undefined;

/** A delta as a whole state. */
function materialize(set: StateSet): Map<StateKey, EventId> {
  if (!isDelta(set)) return new Map(set);
  const state = new Map(set.base);
  for (const [key, id] of set.changes) {
    if (id === null) state.delete(key);
    else state.set(key, id);
  }
  return state;
}

/**
 * The key of (type, state_key) in a StateMap. JSON of the pair: unambiguous whatever the
 * strings hold (a separator character could be forged into an event type).
 */
export const stateKey = (type: string, key: string): StateKey => JSON.stringify([type, key]);

/** The (type, state_key) of a StateMap key. */
export function splitStateKey(key: StateKey): [type: string, stateKey: string] {
  return JSON.parse(key) as [string, string];
}

/**
 * An event as state resolution reads it: a PDU in federation shape. The fields the rules and
 * orderings read cross the boundary (see compactJson); the servers in `signatures` count as
 * verified (they were, on receipt) for the rule on `join_authorised_via_users_server`.
 */
export interface StateEvent {
  /** Absent only on a v12 create event. */
  room_id?: string;
  sender: string;
  type: string;
  state_key?: string;
  content?: Readonly<Record<string, unknown>>;
  /** Ids (v3+) or [id, hashes] pairs (v1, v2). */
  auth_events: readonly unknown[];
  origin_server_ts?: number;
  depth?: number;
  signatures?: Readonly<Record<string, unknown>>;
  readonly [field: string]: unknown;
}

export interface StateResolutionInput {
  roomVersion: string;
  /** The states to resolve (the states after each prev event): whole, or deltas on one base. */
  stateSets: readonly StateSet[];
  /**
   * v2 and v2.1: the full auth chain of each state set, in the same order (the union of the
   * auth chains of its events; closed under auth_events). The auth difference is then found
   * by walking down from the conflicted events, touching only the events that differ.
   */
  authChains?: readonly ReadonlySet<EventId>[];
  /**
   * v2 and v2.1: or the auth difference itself (∪Cᵢ − ∩Cᵢ), computed by the caller. With
   * neither, it is computed from `getEvent` by walking every state event's auth chain (slow
   * in a large room).
   */
  authDifference?: Iterable<EventId>;
  /** The room's events by id; an id it does not know is left out, like an unverified event. */
  getEvent(id: EventId): StateEvent | undefined;
  /**
   * v2 and v2.1: events rejected on receipt (against their auth events): never admitted into
   * the state, never read as auth events. Room v1's algorithm does not look at rejection.
   */
  isRejected?(id: EventId): boolean;
}

export interface ResolvedState {
  /**
   * The resolved state as a delta against `stateSets[0]`: the event id for each key whose
   * event changes or appears, null for each key the resolved state drops.
   */
  readonly delta: ReadonlyMap<StateKey, EventId | null>;
  /** The resolved state's event for one key. */
  get(key: StateKey): EventId | undefined;
  /** The whole resolved state (a copy of `stateSets[0]` with the delta applied). */
  toStateMap(): Map<StateKey, EventId>;
  readonly stats: StateResolutionStats;
}

export interface StateResolutionStats {
  conflictedKeys: number;
  /** The full conflicted set: conflicted events, auth difference, v2.1's subgraph. */
  fullConflictedSet: number;
  /** Events sent across the boundary, and the calls it took (more than 1: the engine asked). */
  eventsSent: number;
  calls: number;
}

interface EngineAnswer {
  resolved?: [string, string, EventId][];
  missing_events?: EventId[];
  missing_state?: [string, string][];
}

const CREATE = "m.room.create";
const POWER_LEVELS = "m.room.power_levels";
const MEMBER = "m.room.member";
const JOIN_RULES = "m.room.join_rules";
const THIRD_PARTY_INVITE = "m.room.third_party_invite";

/** How many loop iterations run between pauses of a preparation (a few hundred microseconds). */
const SLICE_CHECK = 128;

/** Yielded by the preparation when a slice has run long enough; drivers decide what to do. */
export const YIELD = Symbol("yield");
export type Preparation<T> = Generator<typeof YIELD, T, void>;

/** Runs a preparation to completion, ignoring its pauses. */
export function runToCompletion<T>(steps: Preparation<T>): T {
  for (;;) {
    const next = steps.next();
    if (next.done) return next.value;
  }
}

/** Runs a preparation giving the event loop a turn whenever a slice exceeds `sliceMs`. */
export async function runInSlices<T>(steps: Preparation<T>, sliceMs: number): Promise<T> {
  let start = performance.now();
  for (;;) {
    const next = steps.next();
    if (next.done) return next.value;
    if (performance.now() - start >= sliceMs) {
      await new Promise<void>((resolve) => setImmediate(resolve));
      start = performance.now();
    }
  }
}

function authEventIds(event: StateEvent): EventId[] {
  const ids: EventId[] = [];
  for (const entry of event.auth_events ?? []) {
    const id = Array.isArray(entry) ? entry[0] : entry;
    if (typeof id === "string") ids.push(id);
  }
  return ids;
}

/** The member event content fields the member rules read. */
const MEMBER_FIELDS = ["membership", "third_party_invite", "join_authorised_via_users_server"] as const;

/**
 * The JSON of the fields state resolution reads: the content only where the rules or the
 * orderings read it (power levels, create, join rules, third-party invites, aliases; of a member
 * event the fields the member rules read), the signing servers without their signatures. Built
 * by hand: a fork storm sends thousands of events, and this is most of the preparation.
 */
function compactJson(event: StateEvent): string {
  const str = JSON.stringify;
  let json = `{"sender":${str(event.sender)},"type":${str(event.type)}`;
  if (typeof event.room_id === "string") json += `,"room_id":${str(event.room_id)}`;
  if (typeof event.state_key === "string") json += `,"state_key":${str(event.state_key)}`;
  json += `,"auth_events":${str(event.auth_events ?? [])}`;
  // The creator's first join is allowed for having the create event as its only prev event.
  if (Array.isArray(event["prev_events"])) json += `,"prev_events":${str(event["prev_events"])}`;
  if (typeof event.origin_server_ts === "number") json += `,"origin_server_ts":${event.origin_server_ts}`;
  if (typeof event.depth === "number") json += `,"depth":${event.depth}`;
  if (typeof event["redacts"] === "string") json += `,"redacts":${str(event["redacts"])}`;
  const content = event.content;
  switch (event.type) {
    case CREATE:
    case POWER_LEVELS:
    case JOIN_RULES:
    case THIRD_PARTY_INVITE:
    case "m.room.aliases":
      if (content !== undefined) json += `,"content":${str(content)}`;
      break;
    case MEMBER: {
      let fields = "";
      for (const field of MEMBER_FIELDS) {
        const value = content?.[field];
        if (value !== undefined) fields += `${fields ? "," : ""}"${field}":${str(value)}`;
      }
      json += `,"content":{${fields}}`;
      break;
    }
    default:
      json += typeof content?.["redacts"] === "string" ? `,"content":{"redacts":${str(content["redacts"])}}` : `,"content":{}`;
  }
  if (event.signatures && typeof event.signatures === "object") {
    json += `,"signatures":{${Object.keys(event.signatures).map((server) => `${str(server)}:{}`).join(",")}}`;
  }
  return `${json}}`;
}

function isStateEvent(event: StateEvent | undefined, type: string, key: string): boolean {
  return event !== undefined && event.type === type && event.state_key === key;
}

/** Entries of each state set per chunk of the split. */
const CHUNK = 4096;

/**
 * Walks the state sets side by side in their iteration order, which is insertion order: states
 * derived from one another (a copy, then a few changes) line up, and an entry equal in every
 * set at the same place is unconflicted without a hash lookup. Every other key goes into
 * `check`. Returns true when done.
 */
function lockstepChunk(keys: Iterator<StateKey>[], values: Iterator<EventId>[], check: Set<StateKey>): boolean {
  for (let i = 0; i < CHUNK; i++) {
    const first = keys[0]!.next();
    if (first.done) {
      for (let j = 1; j < keys.length; j++) for (let next = keys[j]!.next(); !next.done; next = keys[j]!.next()) check.add(next.value);
      return true;
    }
    const value = values[0]!.next().value;
    let same = true;
    for (let j = 1; j < keys.length; j++) {
      const other = keys[j]!.next();
      if (other.done) {
        same = false;
        continue;
      }
      // Both iterators of a set advance together, whatever the keys compare to.
      const otherValue = values[j]!.next().value;
      if (other.value !== first.value || otherValue !== value) {
        same = false;
        check.add(other.value);
      }
    }
    if (!same) check.add(first.value);
  }
  return false;
}

/**
 * A resolution in progress: the split, the sets computed from it, and the request, kept
 * across calls when the engine asks for more.
 */
export class StateResolution {
  readonly algorithm: RoomVersionRules["state_resolution"];
  /** The state sets as whole maps, unless they are deltas on one base. */
  private readonly maps: StateMap[] | undefined;
  private readonly base: StateMap = new Map();
  private readonly changes: ReadonlyMap<StateKey, EventId | null>[] = [];
  readonly conflictedKeys = new Set<StateKey>();
  /** v1 only: unconflicted keys that stateSets[0] lacks (v1's unconflicted map is the union). */
  private readonly v1Added = new Map<StateKey, EventId>();
  private readonly conflicted = new Set<EventId>();
  private readonly fullExtra = new Set<EventId>();
  private readonly sentEvents = new Set<EventId>();
  private readonly eventParts: string[] = [];
  private readonly unavailable = new Set<EventId>();
  private readonly rejected = new Set<EventId>();
  private readonly unconflictedParts: string[] = [];
  private readonly sentKeys = new Set<StateKey>();
  calls = 0;

  /**
   * `prefetch: false` sends only the full conflicted set's events and lets the engine ask for
   * everything else: slower (a call per step of each walk), and only for testing that the
   * answer does not depend on what this side foresaw.
   */
  constructor(
    private readonly input: StateResolutionInput,
    private readonly rules: ResolutionRules,
    private readonly options: { prefetch?: boolean } = {},
  ) {
    this.algorithm = rules.state_resolution;
    const sets = input.stateSets;
    const first = sets[0];
    if (first !== undefined && isDelta(first) && sets.every((set) => isDelta(set) && set.base === first.base)) {
      this.maps = undefined;
      this.base = first.base;
      this.changes = (sets as readonly StateDelta[]).map((set) => set.changes);
    } else {
      this.maps = sets.map((set) => (isDelta(set) ? materialize(set) : set));
    }
  }

  /** State set `i`'s event for a key. */
  private setGet(i: number, key: StateKey): EventId | undefined {
    if (this.maps) return this.maps[i]!.get(key);
    const changes = this.changes[i]!;
    if (changes.has(key)) return changes.get(key) ?? undefined;
    return this.base.get(key);
  }

  private get setCount(): number {
    return this.maps ? this.maps.length : this.changes.length;
  }

  /** Whether there is anything to resolve: no conflicted key means the answer is the split. */
  get trivial(): boolean {
    return this.conflictedKeys.size === 0;
  }

  /** Steps 1 and 2 of the contract: split, full conflicted set, and the first request. */
  *prepare(): Preparation<void> {
    yield* this.split();
    if (this.trivial) return;
    if (this.algorithm !== "v1") {
      yield* this.authDifference();
      if (this.algorithm === "v2.1") yield* this.conflictedSubgraph();
    }
    yield* this.collect();
  }

  /** The unconflicted state map's value for a key (null: it does not hold the key). */
  unconflicted(key: StateKey): EventId | null {
    if (this.conflictedKeys.has(key)) return null;
    return this.setGet(0, key) ?? this.v1Added.get(key) ?? null;
  }

  private *split(): Preparation<void> {
    // The keys that may be conflicted: those the sets do not visibly agree on.
    const check = new Set<StateKey>();
    if (this.maps) {
      if (this.maps.length > 1) {
        const keys = this.maps.map((set) => set.keys());
        const values = this.maps.map((set) => set.values());
        while (!lockstepChunk(keys, values, check)) yield YIELD;
      }
    } else {
      for (const changes of this.changes) for (const key of changes.keys()) check.add(key);
    }
    let n = 0;
    for (const key of check) {
      this.classify(key);
      if (++n % SLICE_CHECK === 0) yield YIELD;
    }
    const count = this.setCount;
    for (const key of this.conflictedKeys) {
      for (let i = 0; i < count; i++) {
        const id = this.setGet(i, key);
        if (id !== undefined) this.conflicted.add(id);
      }
      if (++n % SLICE_CHECK === 0) yield YIELD;
    }
  }

  /** Whether a key is conflicted, by looking it up in every set. */
  private classify(key: StateKey): void {
    const count = this.setCount;
    const first = this.setGet(0, key);
    if (this.algorithm === "v1") {
      // Conflicted when the sets that hold the key disagree; else unconflicted (the union).
      let value = first;
      for (let i = 1; i < count; i++) {
        const id = this.setGet(i, key);
        if (id === undefined) continue;
        if (value === undefined) value = id;
        else if (id !== value) {
          this.conflictedKeys.add(key);
          return;
        }
      }
      if (first === undefined && value !== undefined) this.v1Added.set(key, value);
    } else {
      // Unconflicted when every set holds the key with the same event; conflicted when only
      // some hold it, or they disagree.
      let holders = 0;
      let same = true;
      for (let i = 0; i < count; i++) {
        const id = this.setGet(i, key);
        if (id !== undefined) holders++;
        if (id !== first) same = false;
      }
      if (holders > 0 && !(holders === count && same)) this.conflictedKeys.add(key);
    }
  }

  private *authDifference(): Preparation<void> {
    const { authDifference, authChains, stateSets, getEvent } = this.input;
    if (authDifference !== undefined) {
      for (const id of authDifference) this.fullExtra.add(id);
      return;
    }
    let chains = authChains;
    if (chains === undefined) {
      const computed: Set<EventId>[] = [];
      for (const set of stateSets) computed.push(yield* this.authChainOf(materialize(set).values()));
      chains = computed;
    }
    if (chains.length !== stateSets.length) {
      throw new Error(`state resolution: ${chains.length} auth chains for ${stateSets.length} state sets`);
    }
    // Every event of the auth difference lies in the auth chain of a conflicted event (the
    // unconflicted events give every set the same chain) on a path of events that are not in
    // every chain (chains are closed under auth_events). So walk down from the conflicted
    // events and stop at events every chain holds.
    const inEvery = (id: EventId) => chains.every((chain) => chain.has(id));
    const seen = new Set<EventId>();
    const stack: EventId[] = [];
    let n = 0;
    for (const id of this.conflicted) {
      const event = getEvent(id);
      if (event) stack.push(...authEventIds(event));
      if (++n % SLICE_CHECK === 0) yield YIELD;
    }
    while (stack.length > 0) {
      const id = stack.pop()!;
      if (seen.has(id)) continue;
      seen.add(id);
      if (inEvery(id)) continue;
      this.fullExtra.add(id);
      const event = getEvent(id);
      if (event) stack.push(...authEventIds(event));
      if (++n % SLICE_CHECK === 0) yield YIELD;
    }
  }

  private *authChainOf(ids: Iterable<EventId>): Preparation<Set<EventId>> {
    const chain = new Set<EventId>();
    const stack: EventId[] = [];
    for (const id of ids) {
      const event = this.input.getEvent(id);
      if (event) stack.push(...authEventIds(event));
    }
    let n = 0;
    while (stack.length > 0) {
      const id = stack.pop()!;
      if (chain.has(id)) continue;
      chain.add(id);
      const event = this.input.getEvent(id);
      if (event) stack.push(...authEventIds(event));
      if (++n % SLICE_CHECK === 0) yield YIELD;
    }
    return chain;
  }

  /**
   * v2.1's conflicted state subgraph: events on an auth_events path between two conflicted
   * events. One iterative depth-first walk from the conflicted events; an event is on such a
   * path when the walk reached it through an edge and a conflicted event is at or below it.
   */
  private *conflictedSubgraph(): Preparation<void> {
    const { getEvent } = this.input;
    const reaches = new Map<EventId, boolean>(); // set when an event is done
    const open = new Set<EventId>();
    const below = new Set<EventId>();
    let n = 0;
    for (const root of this.conflicted) {
      if (reaches.has(root) || open.has(root)) continue;
      const stack: { id: EventId; children: EventId[]; next: number }[] = [];
      const push = (id: EventId) => {
        open.add(id);
        const event = getEvent(id);
        stack.push({ id, children: event ? authEventIds(event) : [], next: 0 });
      };
      push(root);
      while (stack.length > 0) {
        const top = stack[stack.length - 1]!;
        if (top.next < top.children.length) {
          const child = top.children[top.next++]!;
          below.add(child);
          if (!reaches.has(child) && !open.has(child)) push(child);
        } else {
          let found = this.conflicted.has(top.id);
          for (const child of top.children) if (reaches.get(child)) found = true;
          reaches.set(top.id, found);
          open.delete(top.id);
          stack.pop();
        }
        if (++n % SLICE_CHECK === 0) yield YIELD;
      }
    }
    for (const id of below) if (reaches.get(id)) this.fullExtra.add(id);
  }

  /** The events and unconflicted entries the engine will read, as far as this side can tell. */
  private *collect(): Preparation<void> {
    const { getEvent } = this.input;
    const full = new Set<EventId>([...this.conflicted, ...this.fullExtra]);
    const walkPowerLevels = new Set<EventId>();
    let n = 0;
    if (this.options.prefetch === false) {
      for (const id of full) this.send(id, getEvent(id));
      return;
    }
    for (const id of full) {
      const event = getEvent(id);
      this.send(id, event);
      if (!event) continue;
      for (const auth of authEventIds(event)) this.send(auth, getEvent(auth));
      walkPowerLevels.add(id);
      if (this.algorithm !== "v2.1") this.sendAuthKeys(event);
      if (++n % SLICE_CHECK === 0) yield YIELD;
    }
    // v2.1 starts from an empty state: the unconflicted state map is never read.
    if (this.algorithm !== "v2.1") {
      for (const type of [CREATE, POWER_LEVELS]) {
        this.sendUnconflicted(type, "");
        const id = this.unconflicted(stateKey(type, ""));
        if (id !== null) walkPowerLevels.add(id);
      }
    }
    if (this.rules.room_id_from_create_event) {
      // v12: the create event that the room id names (no event lists it).
      for (const id of full) {
        const roomId = getEvent(id)?.room_id;
        if (typeof roomId === "string" && roomId.startsWith("!")) {
          const createId = `$${roomId.slice(1)}`;
          this.send(createId, getEvent(createId));
          break;
        }
      }
    }
    if (this.algorithm === "v1") return;
    // Mainlines and sender power read the power levels chain below each event: send it, with
    // the auth events of each link (to tell which of them is the power levels event).
    const walked = new Set<EventId>();
    for (const start of walkPowerLevels) {
      if (++n % SLICE_CHECK === 0) yield YIELD;
      let current = getEvent(start);
      while (current) {
        let next: EventId | undefined;
        for (const auth of authEventIds(current)) {
          const event = getEvent(auth);
          this.send(auth, event);
          if (next === undefined && isStateEvent(event, POWER_LEVELS, "")) next = auth;
        }
        if (next === undefined || walked.has(next)) break;
        walked.add(next);
        current = getEvent(next);
      }
    }
  }

  /** The unconflicted entries the authorization of `event` reads (the auth events selection). */
  private sendAuthKeys(event: StateEvent): void {
    this.sendUnconflicted(MEMBER, event.sender);
    if (event.type !== MEMBER || event.state_key === undefined) return;
    if (event.state_key !== event.sender) this.sendUnconflicted(MEMBER, event.state_key);
    this.sendUnconflicted(JOIN_RULES, "");
    const content = event.content ?? {};
    const via = content["join_authorised_via_users_server"];
    if (typeof via === "string") this.sendUnconflicted(MEMBER, via);
    const invite = content["third_party_invite"] as { signed?: { token?: unknown } } | undefined;
    const token = invite?.signed?.token;
    if (typeof token === "string") this.sendUnconflicted(THIRD_PARTY_INVITE, token);
  }

  private sendUnconflicted(type: string, state: string): void {
    const key = stateKey(type, state);
    if (this.sentKeys.has(key)) return;
    this.sentKeys.add(key);
    const id = this.unconflicted(key);
    this.unconflictedParts.push(`[${key.slice(1, -1)},${id === null ? "null" : JSON.stringify(id)}]`);
    if (id !== null) this.send(id, this.input.getEvent(id));
  }

  private send(id: EventId, event: StateEvent | undefined): void {
    if (this.sentEvents.has(id) || this.unavailable.has(id)) return;
    if (event === undefined) {
      this.unavailable.add(id);
      return;
    }
    this.sentEvents.add(id);
    this.eventParts.push(`[${JSON.stringify(id)},${compactJson(event)}]`);
    if (this.input.isRejected?.(id)) this.rejected.add(id);
  }

  /** The request for the engine. */
  request(): Uint8Array {
    return runToCompletion(this.requestSteps());
  }

  /** The request, encoded a group of events at a time (a fork storm's is megabytes). */
  *requestSteps(): Preparation<Uint8Array> {
    this.calls++;
    const encoder = new TextEncoder();
    const chunks: Uint8Array[] = [
      encoder.encode(
        `{"room_version":${JSON.stringify(this.input.roomVersion)}` +
          `,"conflicted":${JSON.stringify([...this.conflicted])}` +
          `,"auth_difference":${JSON.stringify([...this.fullExtra])}` +
          `,"unconflicted":[${this.unconflictedParts.join(",")}]` +
          `,"rejected":${JSON.stringify([...this.rejected])}` +
          `,"unavailable":${JSON.stringify([...this.unavailable])}` +
          `,"events":[`,
      ),
    ];
    yield YIELD;
    const parts = this.eventParts;
    for (let start = 0; start < parts.length; start += SLICE_CHECK) {
      const group = parts.slice(start, start + SLICE_CHECK).join(",");
      chunks.push(encoder.encode(start === 0 ? group : `,${group}`));
      yield YIELD;
    }
    chunks.push(encoder.encode("]}"));
    const bytes = new Uint8Array(chunks.reduce((sum, chunk) => sum + chunk.length, 0));
    let at = 0;
    for (const chunk of chunks) {
      bytes.set(chunk, at);
      at += chunk.length;
    }
    return bytes;
  }

  /**
   * Reads the engine's answer: the resolved state, or null after adding what the engine
   * asked for (call `request()` again).
   */
  answer(bytes: Uint8Array): ResolvedState | null {
    return runToCompletion(this.answerSteps(bytes));
  }

  *answerSteps(bytes: Uint8Array): Preparation<ResolvedState | null> {
    const answer = JSON.parse(new TextDecoder().decode(bytes)) as EngineAnswer;
    yield YIELD;
    if (answer.resolved) return yield* this.result(answer.resolved);
    const before = this.sentEvents.size + this.unavailable.size + this.sentKeys.size;
    for (const id of answer.missing_events ?? []) this.send(id, this.input.getEvent(id));
    for (const [type, key] of answer.missing_state ?? []) this.sendUnconflicted(type, key);
    if (this.sentEvents.size + this.unavailable.size + this.sentKeys.size === before) {
      throw new Error("state resolution: the engine asked again for what it was sent");
    }
    return null;
  }

  /** The resolution without the engine: nothing was conflicted. */
  trivialResult(): ResolvedState {
    return runToCompletion(this.result([]));
  }

  private *result(resolved: [string, string, EventId][]): Preparation<ResolvedState> {
    const decided = new Map<StateKey, EventId>();
    let n = 0;
    for (const [type, key, id] of resolved) {
      const k = stateKey(type, key);
      // Step 5: the unconflicted state map wins (the engine may not have known every key).
      if (this.unconflicted(k) === null) decided.set(k, id);
      if (++n % SLICE_CHECK === 0) yield YIELD;
    }
    const delta = new Map<StateKey, EventId | null>();
    for (const [key, id] of this.v1Added) delta.set(key, id);
    for (const key of this.conflictedKeys) {
      const id = decided.get(key) ?? null;
      if (id !== (this.setGet(0, key) ?? null)) delta.set(key, id);
      if (++n % SLICE_CHECK === 0) yield YIELD;
    }
    for (const [key, id] of decided) {
      if (!this.conflictedKeys.has(key) && this.setGet(0, key) !== id) delta.set(key, id);
    }
    const first = this.input.stateSets[0] ?? new Map<StateKey, EventId>();
    const firstGet = (key: StateKey) => this.setGet(0, key);
    return {
      delta,
      get: (key) => (delta.has(key) ? (delta.get(key) ?? undefined) : firstGet(key)),
      toStateMap() {
        const state = materialize(first);
        for (const [key, id] of delta) {
          if (id === null) state.delete(key);
          else state.set(key, id);
        }
        return state;
      },
      stats: {
        conflictedKeys: this.conflictedKeys.size,
        fullConflictedSet: new Set([...this.conflicted, ...this.fullExtra]).size,
        eventsSent: this.sentEvents.size,
        calls: this.calls,
      },
    };
  }
}

/** The most calls one resolution may take (each adds what the engine asked for). */
export const MAX_CALLS = 64;

/** The state resolution of the Engine facade. */
export interface StateResolver {
  /** The resolution of `input.stateSets` under its room version's algorithm (synchronous). */
  resolveState(input: StateResolutionInput): ResolvedState;
}

export function rulesOf(roomVersions: ReadonlyMap<string, ResolutionRules>, version: string): ResolutionRules {
  const rules = roomVersions.get(version);
  if (!rules) throw new Error(`state resolution: unknown room version ${JSON.stringify(version)}`);
  return rules;
}

/** Prepares `resolution` and calls the engine until it answers. */
export function resolveOn(core: WasmCore, resolution: StateResolution): ResolvedState {
  runToCompletion(resolution.prepare());
  if (resolution.trivial) return resolution.trivialResult();
  for (let call = 0; call < MAX_CALLS; call++) {
    const result = resolution.answer(core.call("resolve_state", resolution.request()));
    if (result) return result;
  }
  throw new Error(`state resolution: no answer after ${MAX_CALLS} calls`);
}

export function createStateResolver(
  core: WasmCore,
  roomVersions: ReadonlyMap<string, ResolutionRules>,
): StateResolver {
  return {
    resolveState: (input) => resolveOn(core, new StateResolution(input, rulesOf(roomVersions, input.roomVersion))),
  };
}

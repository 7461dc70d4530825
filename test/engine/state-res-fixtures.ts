// The golden state resolution fixtures (wasm/tests/fixtures/state-res/, shared with cargo test)
// and the ways their README feeds a resolver, for the TypeScript side.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { stateKey, type EventId, type StateEvent, type StateMap } from "../../src/engine/index.ts";

export const fixturesRoot = join(import.meta.dir, "../../wasm/tests/fixtures/state-res");

export interface FixtureEvent extends StateEvent {
  event_id: string;
  state_key: string;
  prev_events: string[];
  auth_events: string[];
}

export interface FixtureCase {
  folder: string;
  name: string;
  mode: "batches" | "state_sets" | "auth_check";
  room_version: string;
  pdus: string[];
  state_sets?: string[];
  expected?: string;
  typeField: string;
}

const readJson = (path: string): unknown => JSON.parse(readFileSync(path, "utf8"));

export function loadCases(folder: string): FixtureCase[] {
  const file = readJson(join(fixturesRoot, folder, "cases.json")) as { expected_type_field?: string; cases: Omit<FixtureCase, "folder" | "typeField">[] };
  return file.cases.map((c) => ({ ...c, folder, typeField: file.expected_type_field ?? "type" }));
}

export const fixturePath = (c: FixtureCase, file: string) => join(fixturesRoot, c.folder, file);

/** A case's events, one list per file. */
export class Room {
  readonly files: FixtureEvent[][];
  readonly byId = new Map<string, FixtureEvent>();

  constructor(files: FixtureEvent[][]) {
    this.files = files;
    for (const event of files.flat()) this.byId.set(event.event_id, event);
  }

  static of(c: FixtureCase): Room {
    return new Room(c.pdus.map((file) => readJson(fixturePath(c, file)) as FixtureEvent[]));
  }

  get all(): FixtureEvent[] {
    return this.files.flat();
  }

  event(id: string): FixtureEvent {
    const event = this.byId.get(id);
    if (!event) throw new Error(`no event ${id}`);
    return event;
  }

  readonly getEvent = (id: EventId) => this.byId.get(id);

  authChain(id: string): Set<string> {
    const chain = new Set<string>();
    const stack = [...this.event(id).auth_events];
    while (stack.length > 0) {
      const next = stack.pop()!;
      if (chain.has(next)) continue;
      chain.add(next);
      stack.push(...this.event(next).auth_events);
    }
    return chain;
  }

  authChainOfState(state: StateMap): Set<string> {
    const chain = new Set<string>();
    for (const id of state.values()) for (const x of this.authChain(id)) chain.add(x);
    return chain;
  }

  keyOf(id: string): string {
    const event = this.event(id);
    return stateKey(event.type, event.state_key);
  }

  stateOf(ids: readonly string[]): Map<string, string> {
    return new Map(ids.map((id) => [this.keyOf(id), id]));
  }
}

/** ∪Cᵢ − ∩Cᵢ over any list of auth chains, as the spec defines it. */
export function literalAuthDifference(chains: readonly ReadonlySet<string>[]): Set<string> {
  const counts = new Map<string, number>();
  for (const chain of chains) for (const id of chain) counts.set(id, (counts.get(id) ?? 0) + 1);
  return new Set([...counts].filter(([, count]) => count < chains.length).map(([id]) => id));
}

/** The expected resolved state of a case: (type, state_key) -> event id. */
export function expectedState(c: FixtureCase): Map<string, string> {
  const rows = readJson(fixturePath(c, c.expected!)) as Record<string, string>[];
  return new Map(rows.map((row) => [stateKey(row[c.typeField]!, row["state_key"]!), row["event_id"]!]));
}

export function stateSetsOf(c: FixtureCase, room: Room): Map<string, string>[] {
  return (c.state_sets ?? []).map((file) => room.stateOf(readJson(fixturePath(c, file)) as string[]));
}

/** What a mode hands the resolver for one resolution. */
export interface Resolution {
  stateSets: StateMap[];
  authChains?: Set<string>[];
  authDifference?: Set<string>;
  events: (id: string) => StateEvent | undefined;
}

export type Resolve = (resolution: Resolution) => Map<string, string>;

const oneEntry = (room: Room, event: FixtureEvent) => room.stateOf([event.event_id]);

/** Mode 1: every event its own state set with its own auth chain; one resolution. */
export function allAtOnce(room: Room, resolve: Resolve): Map<string, string> {
  return resolve({
    stateSets: room.all.map((event) => oneEntry(room, event)),
    authChains: room.all.map((event) => room.authChain(event.event_id)),
    events: room.getEvent,
  });
}

/**
 * Mode 2: per file, the carried result plus one set per event of the file, with the auth chains
 * of the file's events only: fewer chains than sets, so the auth difference is given as such.
 */
export function fileByFile(room: Room, resolve: Resolve): Map<string, string> {
  let carried: Map<string, string> | undefined;
  const seen = new Map<string, FixtureEvent>();
  for (const file of room.files) {
    for (const event of file) seen.set(event.event_id, event);
    const stateSets: StateMap[] = carried ? [carried] : [];
    stateSets.push(...file.map((event) => oneEntry(room, event)));
    const chains = file.map((event) => room.authChain(event.event_id));
    const known = new Map(seen);
    carried = resolve({ stateSets, authDifference: literalAuthDifference(chains), events: (id) => known.get(id) });
  }
  return carried ?? new Map();
}

/** Mode 3: replay along prev_events; the final state resolves the leaves. */
export function replay(room: Room, resolve: Resolve): Map<string, string> {
  const after = new Map<string, Map<string, string>>();
  const referenced = new Set<string>();
  for (const event of room.all) {
    event.prev_events.forEach((prev) => referenced.add(prev));
    const beforeSets = event.prev_events.map((prev) => {
      const state = after.get(prev);
      if (!state) throw new Error(`${event.event_id} comes before its prev event ${prev}`);
      return state;
    });
    const before = resolve({ stateSets: beforeSets, authChains: beforeSets.map((s) => room.authChainOfState(s)), events: room.getEvent });
    const beforeChain = room.authChainOfState(before);
    const proposed = new Map(before).set(room.keyOf(event.event_id), event.event_id);
    const proposedChain = new Set([...beforeChain, ...room.authChain(event.event_id)]);
    after.set(event.event_id, resolve({ stateSets: [before, proposed], authChains: [beforeChain, proposedChain], events: room.getEvent }));
  }
  const leaves = room.all.filter((event) => !referenced.has(event.event_id)).map((event) => after.get(event.event_id)!);
  return resolve({ stateSets: leaves, authChains: leaves.map((s) => room.authChainOfState(s)), events: room.getEvent });
}

export function stateSetsMode(room: Room, sets: Map<string, string>[], resolve: Resolve): Map<string, string> {
  return resolve({ stateSets: sets, authChains: sets.map((s) => room.authChainOfState(s)), events: room.getEvent });
}

/** Sorted entries, for readable comparisons. */
export const entries = (state: ReadonlyMap<string, string>) => [...state].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));

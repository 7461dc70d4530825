// State at any event, as snapshots on a skip chain (design and growth: ./STATE.md).
// Snapshot at chain position p stores its delta against the ancestor at position p & (p - 1);
// reading walks popcount(p) <= log2(p) + 1 deltas, and each state change is stored in at most
// log2(n) deltas.
import { stateKey, splitStateKey, type StateMap } from "../engine/index.ts";
import type { EventsRepo, NewSnapshot } from "../storage/repos/events.ts";

interface ChainNode {
  id: number;
  position: number;
  base: number | null;
}

/** Limit: materialized snapshots kept in memory (each a Map of the room's state). */
const CACHED_SNAPSHOTS = 256;
/** Limit: snapshot deltas kept in memory (small ones, the tops of chains, are the ones reused). */
const CACHED_DELTAS = 4096;

class Lru<K, V> {
  private map = new Map<K, V>();
  constructor(private readonly limit: number) {}
  get(key: K): V | undefined {
    const value = this.map.get(key);
    if (value !== undefined) {
      this.map.delete(key);
      this.map.set(key, value);
    }
    return value;
  }
  set(key: K, value: V): void {
    this.map.delete(key);
    this.map.set(key, value);
    if (this.map.size > this.limit) this.map.delete(this.map.keys().next().value as K);
  }
}

export interface StateStore {
  /** The whole state of a snapshot (shared map: do not mutate). */
  state(snapshotId: number): Promise<StateMap>;
  /**
   * Prepares the snapshot for `state` (the parent's state with `changes` applied) without
   * writing it: the caller writes it in the event's transaction, then calls `remember`.
   */
  prepare(parent: number | null, state: StateMap, changes: ReadonlyMap<string, string | null>): Promise<NewSnapshot>;
  remember(snapshot: NewSnapshot, state: StateMap): void;
}

export function createStateStore(repo: Pick<EventsRepo, "snapshotChain" | "snapshotEntries" | "nextSnapshotId">): StateStore {
  const states = new Lru<number, StateMap>(CACHED_SNAPSHOTS);
  const deltas = new Lru<number, Map<string, string | null>>(CACHED_DELTAS);
  const nodes = new Map<number, ChainNode>();

  async function chain(id: number): Promise<ChainNode[]> {
    const result: ChainNode[] = [];
    let node = nodes.get(id);
    while (node) {
      result.push(node);
      if (node.base === null) return result;
      node = nodes.get(node.base);
    }
    const loaded = await repo.snapshotChain(id);
    for (const n of loaded) nodes.set(n.id, n);
    return loaded;
  }

  async function loadDeltas(ids: number[]): Promise<Map<number, Map<string, string | null>>> {
    const result = new Map<number, Map<string, string | null>>();
    const missing: number[] = [];
    for (const id of ids) {
      const delta = deltas.get(id);
      if (delta) result.set(id, delta);
      else missing.push(id);
    }
    if (missing.length > 0) {
      for (const id of missing) result.set(id, new Map());
      for (const row of await repo.snapshotEntries(missing)) result.get(row.snapshotId)!.set(stateKey(row.type, row.stateKey), row.eventId);
      for (const id of missing) deltas.set(id, result.get(id)!);
    }
    return result;
  }

  return {
    async state(snapshotId) {
      const cached = states.get(snapshotId);
      if (cached) return cached;
      const nodesOfChain = await chain(snapshotId);
      const loaded = await loadDeltas(nodesOfChain.map((n) => n.id));
      const state = new Map<string, string>();
      // Oldest (the root) first, so newer deltas overwrite.
      for (const node of [...nodesOfChain].reverse()) {
        for (const [key, eventId] of loaded.get(node.id)!) {
          if (eventId === null) state.delete(key);
          else state.set(key, eventId);
        }
      }
      states.set(snapshotId, state);
      return state;
    },

    async prepare(parent, state, changes) {
      const id = await repo.nextSnapshotId();
      if (parent === null) {
        const entries = [...state].map(([key, eventId]) => toEntry(key, eventId));
        return { id, parent: null, position: 1, base: null, entries };
      }
      const parentChain = await chain(parent);
      const position = parentChain[0]!.position + 1;
      const target = position & (position - 1);
      // The nodes above the target cover the changes in (target, parent]: merge them, then ours.
      const above = parentChain.filter((n) => n.position > target);
      const baseNode = parentChain.find((n) => n.position === target) ?? null;
      const loaded = await loadDeltas(above.map((n) => n.id));
      const delta = new Map<string, string | null>();
      for (const node of [...above].reverse()) for (const [key, eventId] of loaded.get(node.id)!) delta.set(key, eventId);
      for (const [key, eventId] of changes) delta.set(key, eventId);
      // At the root (target 0) the delta is the whole state: drop removals of keys never there.
      if (baseNode === null) for (const [key, eventId] of delta) if (eventId === null) delta.delete(key);
      const entries = [...delta].map(([key, eventId]) => toEntry(key, eventId));
      return { id, parent, position, base: baseNode?.id ?? null, entries };
    },

    remember(snapshot, state) {
      nodes.set(snapshot.id, { id: snapshot.id, position: snapshot.position, base: snapshot.base });
      deltas.set(snapshot.id, new Map(snapshot.entries.map((e) => [stateKey(e.type, e.stateKey), e.eventId])));
      states.set(snapshot.id, state);
    },
  };
}

function toEntry(key: string, eventId: string | null) {
  const [type, stateKeyValue] = splitStateKey(key);
  return { type, stateKey: stateKeyValue, eventId };
}

// State storage growth (src/rooms/STATE.md): 10,000 member joins then 10,000 state changes in
// one room, through the rooms services in-process (the HTTP layer adds nothing to storage), then
// the bytes the state tables take per event. Synapse's state_groups_state is the comparison:
// it stores a full state snapshot every 100 changes, which in a 10,000-member room is
// about 50 rows per event.
import { generateSigningKey } from "../../src/auth/signing-key.ts";
import { ed25519Signer, loadEngine } from "../../src/engine/index.ts";
import { silentLogger } from "../../src/log/logger.ts";
import { nativeEd25519 } from "../../src/protocol/ed25519.ts";
import { createRoomServices } from "../../src/rooms/index.ts";
import { createTestDatabase, stopTestServer } from "../../test/helpers/db.ts";

export const name = "rooms-state-size";

const JOINS = 10_000;
const CHANGES = 10_000;

export async function run(): Promise<Record<string, unknown>> {
  const db = await createTestDatabase();
  try {
    const engine = await loadEngine();
    const rooms = await createRoomServices({
      db: db.db, engine, log: silentLogger, defaultRoomVersion: "11",
      signer: ed25519Signer("bench.local", generateSigningKey(nativeEd25519), nativeEd25519),
      profileOf: async () => ({}),
    });
    const creator = "@creator:bench.local";
    const { room_id: roomId } = await rooms.creator.createRoom(creator, { preset: "public_chat" });
    const sizes = async () => {
      const [row] = await db.sql<{ snapshots: string; entries: string; current: string; events: string }[]>`select
        pg_total_relation_size('state_snapshots') as snapshots, pg_total_relation_size('state_snapshot_entries') as entries,
        pg_total_relation_size('current_state') as current, pg_total_relation_size('events') as events`;
      const [rows] = await db.sql<{ n: string }[]>`select count(*) as n from state_snapshot_entries`;
      return { snapshots: Number(row!.snapshots), entries: Number(row!.entries), current: Number(row!.current), events: Number(row!.events), entryRows: Number(rows!.n) };
    };
    const before = await sizes();
    let started = performance.now();
    for (let i = 0; i < JOINS; i++) await rooms.membership.join(roomId, `@user${i}:bench.local`);
    const joinMs = (performance.now() - started) / JOINS;
    await db.sql`vacuum analyze`.catch(() => {});
    const afterJoins = await sizes();
    started = performance.now();
    for (let i = 0; i < CHANGES; i++) {
      await rooms.appender.append({ roomId, type: "m.room.topic", sender: creator, stateKey: "", content: { topic: `topic ${i}` } });
    }
    const changeMs = (performance.now() - started) / CHANGES;
    const after = await sizes();
    const perEvent = (a: typeof before, b: typeof before, n: number) => ({
      stateBytesPerEvent: Math.round((b.snapshots + b.entries - a.snapshots - a.entries) / n),
      stateRowsPerEvent: Number(((b.entryRows - a.entryRows) / n).toFixed(2)),
      eventBytesPerEvent: Math.round((b.events - a.events) / n),
    });
    return {
      joins: { count: JOINS, meanMs: Number(joinMs.toFixed(3)), ...perEvent(before, afterJoins, JOINS) },
      stateChanges: { count: CHANGES, meanMs: Number(changeMs.toFixed(3)), ...perEvent(afterJoins, after, CHANGES) },
      total: { stateBytes: after.snapshots + after.entries, stateEntryRows: after.entryRows, currentStateBytes: after.current },
    };
  } finally {
    await db.close();
    await stopTestServer();
  }
}

// Presence as /sync reads it (PresenceSource) and the state machine behind it, over a test
// database with a fake clock and fake timers: positions and wake-ups, writes only when others
// should hear, idle and offline timeouts driven by the timer, restarts, and the config switches.
// https://spec.matrix.org/v1.19/client-server-api/#presence
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { createPresenceServices, type PresenceServices } from "../../src/sync/presence.ts";
import { LAST_ACTIVE_FLUSH_INTERVAL_MS, SYNC_POLL_ALLOWANCE_MS, TIMEOUT_CHECK_INTERVAL_MS } from "../../src/sync/presence-state.ts";
import { silentLogger } from "../../src/log/logger.ts";
import { createTestDatabase, type TestDatabase } from "../helpers/db.ts";
import { testConfig } from "../helpers/services.ts";
import { fakeTime } from "../rooms/ephemeral-fakes.ts";

const ALICE = "@alice:test.local";
const BOB = "@bob:test.local";
const CAROL = "@carol:test.local";

let db: TestDatabase;
const open: PresenceServices[] = [];
beforeAll(async () => {
  db = await createTestDatabase();
});
afterAll(async () => {
  for (const presence of open) await presence.stop();
  await db.close();
});

async function presenceServer(overrides: Record<string, string> = {}, time = fakeTime(1_700_000_000_000)) {
  const presence = await createPresenceServices({
    db: db.db, config: testConfig(overrides).presence, serverName: "test.local", log: silentLogger,
    userExists: async () => true, now: time.now, timers: time.timers,
  });
  open.push(presence);
  const heard: [string, number][] = [];
  presence.onChange((userId, position) => void heard.push([userId, position]));
  /** Moves the clock in timer-sized steps, letting each timeout check (and its writes) finish. */
  async function advance(ms: number) {
    for (let left = ms; left > 0; left -= TIMEOUT_CHECK_INTERVAL_MS) {
      time.advance(Math.min(left, TIMEOUT_CHECK_INTERVAL_MS));
      while (time.pendingCount() === 0) await Bun.sleep(1); // the check re-arms its timer when done
    }
  }
  const row = async (userId: string) => (await db.sql`select state, status_msg, last_active_ts::float8 as ts, stream_position::float8 as pos from presence where user_id = ${userId}`)[0];
  const stateOf = async (userId: string) => (await presence.changes([userId], 0, presence.position()))[0]?.content;
  return { presence, time, heard, advance, row, stateOf };
}

describe("one server", () => {
  let s: Awaited<ReturnType<typeof presenceServer>>;
  beforeAll(async () => {
    s = await presenceServer();
  });

  test("a change takes a new position, wakes the listener, and is read once by incremental syncs", async () => {
    const start = s.presence.position();
    await s.presence.setFromSync(ALICE, "online");
    const position = s.presence.position();
    expect(position).toBeGreaterThan(start);
    expect(s.heard).toEqual([[ALICE, position]]);
    expect(await s.presence.changes([ALICE, BOB], start, position)).toEqual([
      { type: "m.presence", sender: ALICE, content: { presence: "online", last_active_ago: 0, currently_active: true } },
    ]);
    expect(await s.presence.changes([ALICE], position, position)).toEqual([]);
    expect(await s.presence.changes(new Set([BOB]), start, position)).toEqual([]); // only the users asked about
    expect(await s.row(ALICE)).toMatchObject({ state: "online", pos: position });
  });

  test("cheap when on: an online, currently active user's polls and activity write nothing and wake nobody", async () => {
    const before = { position: s.presence.position(), heard: s.heard.length, row: await s.row(ALICE) };
    for (let i = 0; i < 5; i++) {
      s.time.advance(1_000);
      await s.presence.setFromSync(ALICE, "online");
      s.presence.markActive(ALICE);
    }
    expect(s.presence.position()).toBe(before.position);
    expect(s.heard.length).toBe(before.heard);
    expect(await s.row(ALICE)).toEqual(before.row);
    // ... but the last-active time others read is current, and the timer stores it within a minute.
    expect((await s.stateOf(ALICE))!.last_active_ago).toBe(0);
    for (let t = 0; t < LAST_ACTIVE_FLUSH_INTERVAL_MS; t += 10_000) {
      await s.advance(10_000);
      s.presence.markActive(ALICE);
      await s.presence.setFromSync(ALICE, "online");
    }
    const flushed = await s.row(ALICE);
    expect(flushed!.ts).toBeGreaterThan(before.row!.ts);
    expect(flushed!.pos).toBe(before.row!.pos);
    expect(s.heard.length).toBe(before.heard);
  });

  test("the timer ends currently_active after the granularity, then idles the user; polling does not wake, activity does", async () => {
    await s.presence.markActive(ALICE);
    const heardFrom = s.heard.length;
    // Keep polling so only the idle timer applies.
    for (let t = 0; t < 5 * 60_000; t += 20_000) {
      await s.advance(20_000);
      await s.presence.setFromSync(ALICE, "online");
    }
    await s.advance(10_000);
    const told = s.heard.slice(heardFrom).map(([userId]) => userId);
    expect(told).toEqual([ALICE, ALICE]); // currently_active false, then unavailable
    expect(await s.stateOf(ALICE)).toMatchObject({ presence: "unavailable" });
    const idleAt = s.presence.position();
    await s.presence.setFromSync(ALICE, "online");
    expect((await s.stateOf(ALICE))!.presence).toBe("unavailable");
    expect(s.presence.position()).toBe(idleAt); // a poll that changes nothing others see writes nothing
    s.presence.markActive(ALICE);
    await Promise.resolve();
    expect(await s.stateOf(ALICE)).toEqual({ presence: "online", last_active_ago: 0, currently_active: true });
  });

  test("a client that stops polling goes offline after the poll allowance plus sync_online_timeout", async () => {
    await s.presence.setFromSync(BOB, "online");
    const since = s.presence.position();
    await s.advance(SYNC_POLL_ALLOWANCE_MS + 25_000);
    expect((await s.stateOf(BOB))!.presence).toBe("online");
    await s.advance(10_000);
    const after = await s.presence.changes([BOB], 0, s.presence.position());
    expect(after).toEqual([]); // an initial sync leaves offline users out
    expect((await s.presence.changes([BOB], since, s.presence.position()))[0]!.content.presence).toBe("offline");
  });

  test("concurrent changes commit in position order: the listener hears increasing positions and a sync misses none", async () => {
    const start = s.presence.position();
    const heardFrom = s.heard.length;
    const many = Array.from({ length: 30 }, (_, i) => `@many${i}:test.local`);
    await Promise.all(many.map((userId, i) => s.presence.setStatus(userId, userId, i % 2 ? "online" : "unavailable", `n${i}`)));
    const positions = s.heard.slice(heardFrom).map(([, position]) => position);
    expect(positions.length).toBe(many.length);
    expect(positions).toEqual([...positions].sort((a, b) => a - b));
    expect(new Set(positions).size).toBe(many.length);
    const middle = positions[14]!;
    const first = await s.presence.changes(many, start, middle);
    const rest = await s.presence.changes(new Set(many), middle, s.presence.position());
    expect([...first, ...rest].map((e) => e.content.status_msg).sort()).toEqual(many.map((_, i) => `n${i}`).sort());
  });

  test("set_presence: unavailable marks the user idle, online brings them back; offline changes nothing", async () => {
    await s.presence.setFromSync(CAROL, "offline");
    expect(await s.row(CAROL)).toBeUndefined();
    await s.presence.setFromSync(CAROL, "unavailable");
    expect((await s.stateOf(CAROL))!.presence).toBe("unavailable");
    await s.presence.setFromSync(CAROL, "online");
    expect((await s.stateOf(CAROL))!.presence).toBe("online");
    await s.presence.setFromSync(CAROL, "offline");
    expect((await s.stateOf(CAROL))!.presence).toBe("online");
  });

  test("include_offline_users_on_sync puts offline users in initial syncs", async () => {
    await s.presence.setStatus(CAROL, CAROL, "offline", "gone");
    const other = await presenceServer({ PRESENCE__INCLUDE_OFFLINE_USERS_ON_SYNC: "true" }, s.time);
    const initial = await other.presence.changes([BOB, CAROL], 0, s.presence.position());
    expect(initial.map((e) => [e.sender, e.content.presence]).sort()).toEqual([[BOB, "offline"], [CAROL, "offline"]]);
    expect(await s.presence.changes([BOB, CAROL], 0, s.presence.position())).toEqual([]);
  });

  test("a restart keeps presence and the stream position; old tokens read the table", async () => {
    await s.presence.setStatus(ALICE, ALICE, "online", "still here");
    await s.presence.stop();
    const lastPosition = s.presence.position();
    const restarted = await presenceServer({}, s.time);
    expect(restarted.presence.position()).toBe(lastPosition);
    expect(await restarted.stateOf(ALICE)).toMatchObject({ presence: "online", status_msg: "still here" });
    // A token from before the restart still gets the changes after it (read from the table).
    const changes = await restarted.presence.changes([ALICE, BOB, CAROL], 1, lastPosition);
    expect(changes.map((e) => e.sender).sort()).toEqual([ALICE, BOB, CAROL]);
    await restarted.presence.setFromSync(BOB, "online");
    expect(restarted.presence.position()).toBeGreaterThan(lastPosition);
    // Users online at the restart get a grace period before the offline timeout.
    await restarted.advance(SYNC_POLL_ALLOWANCE_MS);
    expect((await restarted.stateOf(ALICE))!.presence).toBe("online");
  });
});

describe("config", () => {
  test("untracked: clients' updates are ignored, stored presence is still served", async () => {
    const { presence } = await presenceServer({ PRESENCE__ENABLED: "untracked" });
    expect(presence.enabled).toBe(true);
    const before = presence.position();
    await presence.setFromSync("@dave:test.local", "online");
    await presence.setStatus("@dave:test.local", "@dave:test.local", "online", "hi");
    presence.markActive("@dave:test.local");
    expect(presence.position()).toBe(before);
    expect(await presence.status(ALICE, ALICE)).toMatchObject({ status_msg: "still here" });
  });

  test("an idle_timeout not above last_active_granularity is refused, naming the key", async () => {
    await expect(presenceServer({ PRESENCE__IDLE_TIMEOUT: "1m" })).rejects.toThrow("presence.idle_timeout");
  });
});

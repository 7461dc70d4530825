// Simplified sliding sync (MSC4186) first page for accounts in 200 and 2,000 rooms (issue 7
// target: p50 <= 100 ms, flat in the number of rooms): a new connection each time, one list
// [0, 19], timeline_limit 1, all state with lazy members. In-process over the test server
// (app.handle: routing, auth and JSON count); rooms are made through the rooms services, each
// with a second member who sends one message (so lazy members have a sender to load).
import { roomsTestServer } from "../../test/helpers/rooms.ts";
import { stopTestServer } from "../../test/helpers/db.ts";
import { round } from "../lib.ts";

export const name = "sliding-sync";

const SIZES = [200, 2_000];
const MIN_RUNS = 20;

function stats(times: number[]) {
  const sorted = [...times].sort((a, b) => a - b);
  const at = (q: number) => round(sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!, 2);
  return { count: sorted.length, p50Ms: at(0.5), p99Ms: at(0.99), maxMs: at(1) };
}

/** A connection long-polls; another user sends into one of its rooms: send done -> answer. */
async function wakeUps(s: Awaited<ReturnType<typeof roomsTestServer>>, friend: string) {
  const user = await s.register("waker");
  const { room_id: roomId } = await s.rooms.creator.createRoom(user.userId, { preset: "public_chat" });
  await s.rooms.membership.join(roomId, friend);
  const body = { conn_id: "wake", lists: { all: { range: [0, 19], timeline_limit: 1, required_state: { include: [] } } } };
  const first = await s.call("POST", "/_matrix/client/v4/sync", { token: user.token, body });
  let pos: string = first.body.pos;
  const times: number[] = [];
  for (let i = 0; i < 50; i++) {
    const waiting = s.call("POST", `/_matrix/client/v4/sync?pos=${encodeURIComponent(pos)}&timeout=10000`, { token: user.token, body });
    await Bun.sleep(20);
    await s.rooms.appender.append({ roomId, type: "m.room.message", sender: friend, content: { msgtype: "m.text", body: `wake ${i}` } });
    const sent = performance.now();
    const answer = await waiting;
    times.push(performance.now() - sent);
    pos = answer.body.pos;
  }
  return stats(times);
}

export async function run({ seconds }: { seconds: number }): Promise<Record<string, unknown>> {
  const s = await roomsTestServer();
  try {
    const serverName = s.config.server_name;
    const friend = `@friend:${serverName}`;
    await s.db.sql`insert into users (user_id, created_ts) values (${friend}, 0)`;
    const body = { lists: { all: { range: [0, 19], timeline_limit: 1, required_state: { include: [{}], lazy_members: true } } } };
    const result: Record<string, unknown> = {};
    for (const size of SIZES) {
      const user = await s.register(`owner${size}`);
      const started = performance.now();
      for (let i = 0; i < size; i++) {
        const { room_id: roomId } = await s.rooms.creator.createRoom(user.userId, { preset: "public_chat", name: `room ${i}` });
        await s.rooms.membership.join(roomId, friend);
        await s.rooms.appender.append({ roomId, type: "m.room.message", sender: friend, content: { msgtype: "m.text", body: `hello ${i}` } });
      }
      process.stderr.write(`sliding-sync: ${size} rooms in ${round((performance.now() - started) / 1000, 1)} s\n`);
      await s.db.sql`analyze`;
      const times: number[] = [];
      let rooms = 0;
      const deadline = performance.now() + (seconds * 1000) / SIZES.length;
      while (times.length < MIN_RUNS || performance.now() < deadline) {
        const start = performance.now();
        const res = await s.call("POST", "/_matrix/client/v4/sync", { token: user.token, body });
        times.push(performance.now() - start);
        if (res.status !== 200) throw new Error(`sliding sync: ${res.status} ${JSON.stringify(res.body)}`);
        rooms = Object.keys(res.body.rooms).length;
        if (times.length >= 500) break;
      }
      result[`rooms${size}`] = { ...stats(times.slice(1)), firstMs: round(times[0]!, 2), roomsReturned: rooms };
    }
    result.wakeUpAfterMessage = await wakeUps(s, friend);
    return result;
  } finally {
    await s.close();
    await stopTestServer();
  }
}

// No event skipped or duplicated between consecutive syncs while events arrive concurrently:
// parallel senders in several rooms (messages and state events, whose writes take longer), and a
// client looping incremental long-polls that checks every event arrives exactly once, in order.
// https://spec.matrix.org/v1.19/client-server-api/#syncing
import { afterAll, beforeAll, expect, test } from "bun:test";
import { roomsTestServer, type RoomsTestServer, type Session } from "../helpers/rooms.ts";

let s: RoomsTestServer;
let reader: Session;
const ROOMS = 4;
const SENDERS_PER_ROOM = 3;
const EVENTS_PER_SENDER = 15;

beforeAll(async () => {
  s = await roomsTestServer();
  reader = await s.register("reader");
});
afterAll(() => s.close());

test("parallel senders, a looping syncing client: every event exactly once and in order per room", async () => {
  const senders = await Promise.all(Array.from({ length: SENDERS_PER_ROOM }, (_, i) => s.register(`sender${i}`)));
  const rooms: string[] = [];
  for (let r = 0; r < ROOMS; r++) {
    const roomId = await s.createRoom(reader, { preset: "public_chat", power_level_content_override: { state_default: 0 } });
    for (const sender of senders) await s.join(sender, roomId);
    rooms.push(roomId);
  }
  let since = (await s.sync(reader)).body.next_batch as string;
  const seen = new Map<string, string[]>(rooms.map((r) => [r, []]));
  const expected = rooms.length * senders.length * EVENTS_PER_SENDER;
  let received = 0;
  let done = false;

  const syncing = (async () => {
    while (!done || received < expected) {
      const res = await s.sync(reader, { since, timeout: 2_000, filter: { room: { timeline: { limit: 1000 } } } });
      expect(res.status).toBe(200);
      for (const [roomId, room] of Object.entries<any>(res.body.rooms.join)) {
        expect(room.timeline.limited).toBe(false);
        for (const e of room.timeline.events) {
          const tag = e.type === "m.room.message" ? e.content.body : e.type === "org.example.state" ? e.content.tag : null;
          if (tag === null) continue;
          seen.get(roomId)!.push(tag);
          received++;
        }
      }
      since = res.body.next_batch;
      if (done && received >= expected) break;
    }
  })();

  const sent = new Map<string, string[]>(rooms.map((r) => [r, []]));
  await Promise.all(
    rooms.flatMap((roomId) =>
      senders.map(async (sender, i) => {
        for (let n = 0; n < EVENTS_PER_SENDER; n++) {
          const tag = `${i}:${n}`;
          // Every third event a state event: its write awaits more before it commits.
          const res = n % 3 === 2
            ? await s.setState(sender, roomId, "org.example.state", sender.userId, { tag })
            : await s.send(sender, roomId, { msgtype: "m.text", body: tag });
          expect(res.status).toBe(200);
          sent.get(roomId)!.push(tag);
        }
      }),
    ),
  );
  done = true;
  await Promise.race([syncing, Bun.sleep(20_000).then(() => { throw new Error(`only ${received} of ${expected} events arrived`); })]);

  for (const roomId of rooms) {
    const got = seen.get(roomId)!;
    expect(new Set(got).size).toBe(got.length); // no duplicates
    expect([...got].sort()).toEqual([...sent.get(roomId)!].sort()); // none missing
    // Per sender, in the order sent (sends of one sender are sequential).
    for (let i = 0; i < senders.length; i++) {
      expect(got.filter((t) => t.startsWith(`${i}:`))).toEqual(Array.from({ length: EVENTS_PER_SENDER }, (_, n) => `${i}:${n}`));
    }
  }
  // And the order sync gave is the rooms' stream order.
  for (const roomId of rooms) {
    const page = await s.ok("GET", `/_matrix/client/v3/rooms/${encodeURIComponent(roomId)}/messages?dir=f&limit=1000`, { token: reader.token });
    const order = page.chunk.map((e: any) => e.content.body ?? e.content.tag).filter((t: unknown) => typeof t === "string" && /^\d+:\d+$/.test(t as string));
    expect(seen.get(roomId)).toEqual(order);
  }
});

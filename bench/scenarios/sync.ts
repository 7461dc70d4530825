// /sync over HTTP against a real Myelin on its embedded PostgreSQL:
// - initial sync of an account in 500 rooms with 50 messages each (target at most 1 s);
// - send-to-wake-up latency: one client long-polls, another sends into the room (target p50 under 20 ms);
// - 1,000 idle long-polling connections: Myelin's extra memory (target under 100 MB).
import { connect, type Socket } from "node:net";
import { callJson, httpConnection } from "../http-connection.ts";
import { memoryReport, percentile, round, startMyelin } from "../lib.ts";

export const name = "sync";

const ROOMS = 500;
const MESSAGES_PER_ROOM = 50;
/** Parallel connections creating the data (rooms are independent; 2 cores). */
const WRITERS = 8;
const WAKEUPS = 50;
const IDLE_POLLERS = 1_000;

export async function run(): Promise<Record<string, unknown>> {
  const server = await startMyelin({ MYELIN_ENABLE_REGISTRATION: "true", MYELIN_RC_EXEMPT_LOOPBACK: "true" });
  try {
    const writers = Array.from({ length: WRITERS }, () => httpConnection(server.url));
    const call = callJson;
    const register = async (username: string) =>
      (await call(writers[0]!, "POST", "/_matrix/client/v3/register", { username, password: "bench-password", auth: { type: "m.login.dummy" } })).access_token as string;
    const token = await register("many");
    const other = await register("other");

    // 500 rooms x 50 messages, through the client API, WRITERS rooms at a time.
    const createStarted = performance.now();
    const rooms: string[] = [];
    await Promise.all(
      writers.map(async (connection, w) => {
        for (let r = w; r < ROOMS; r += WRITERS) {
          const { room_id: roomId } = await call(connection, "POST", "/_matrix/client/v3/createRoom", { name: `Room ${r}`, preset: "public_chat" }, token);
          rooms.push(roomId);
          const room = encodeURIComponent(roomId);
          for (let m = 0; m < MESSAGES_PER_ROOM; m++) {
            await call(connection, "PUT", `/_matrix/client/v3/rooms/${room}/send/m.room.message/r${r}m${m}`, { msgtype: "m.text", body: `message ${m} in room ${r}` }, token);
          }
        }
      }),
    );
    const createSeconds = (performance.now() - createStarted) / 1000;

    const syncer = httpConnection(server.url);
    const initial = async () => {
      const started = performance.now();
      const answer = await syncer.call("GET", "/_matrix/client/v3/sync", undefined, token);
      if (answer.status !== 200) throw new Error(`sync: ${answer.status} ${answer.body}`);
      const body = JSON.parse(answer.body);
      return { ms: performance.now() - started, rooms: Object.keys(body.rooms.join).length, bytes: answer.body.length, next: body.next_batch as string };
    };
    const cold = await initial();
    const warm = [await initial(), await initial(), await initial()];

    // Wake-up latency: `other` joins one room and long-polls; `many` sends there.
    const room = encodeURIComponent(rooms[0]!);
    await call(writers[0]!, "POST", `/_matrix/client/v3/join/${room}`, {}, other);
    const poller = httpConnection(server.url);
    let since = JSON.parse((await poller.call("GET", "/_matrix/client/v3/sync?filter=" + encodeURIComponent('{"room":{"timeline":{"limit":1}}}'), undefined, other)).body).next_batch;
    const latencies: number[] = [];
    for (let i = 0; i < WAKEUPS; i++) {
      const polled = poller.call("GET", `/_matrix/client/v3/sync?timeout=30000&since=${since}`, undefined, other);
      await Bun.sleep(20); // let the poll reach its wait
      const started = performance.now();
      await call(writers[0]!, "PUT", `/_matrix/client/v3/rooms/${room}/send/m.room.message/wake${i}`, { msgtype: "m.text", body: `wake ${i}` }, token);
      const answer = await polled;
      latencies.push(performance.now() - started);
      since = JSON.parse(answer.body).next_batch;
    }

    // 1,000 idle long polls of `other`, each on its own connection.
    Bun.gc(true);
    await Bun.sleep(500);
    const before = memoryReport(server);
    const { hostname, port } = new URL(server.url);
    const sockets: Socket[] = [];
    for (let i = 0; i < IDLE_POLLERS; i++) {
      const socket = connect(Number(port), hostname);
      socket.on("error", () => {});
      socket.write(`GET /_matrix/client/v3/sync?timeout=60000&since=${since} HTTP/1.1\r\nHost: ${hostname}\r\nAuthorization: Bearer ${other}\r\n\r\n`);
      sockets.push(socket);
    }
    await Bun.sleep(5_000);
    const held = memoryReport(server);
    for (const socket of sockets) socket.destroy();
    for (const connection of [...writers, syncer, poller]) connection.close();

    return {
      data: { rooms: ROOMS, messagesPerRoom: MESSAGES_PER_ROOM, createSeconds: round(createSeconds, 1) },
      initialSync: {
        coldMs: round(cold.ms, 1),
        warmMs: warm.map((w) => round(w.ms, 1)),
        roomsReturned: cold.rooms,
        responseKiB: round(cold.bytes / 1024, 0),
      },
      wakeUpLatency: { samples: WAKEUPS, p50ms: round(percentile(latencies, 0.5), 2), p99ms: round(percentile(latencies, 0.99), 2) },
      idleLongPolls: {
        connections: IDLE_POLLERS,
        myelinRssBeforeMiB: before.myelinRssMiB,
        myelinRssHeldMiB: held.myelinRssMiB,
        extraMiB: round(held.myelinRssMiB - before.myelinRssMiB, 1),
      },
    };
  } finally {
    await server.stop();
  }
}

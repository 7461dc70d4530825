// Rooms over HTTP against a real Myelin on its embedded PostgreSQL (fsync on):
// - the "Romeo and Juliet" replay: one client sends 3,500 messages one after another
//   (Conduit published 4.18 s, Synapse on PostgreSQL 106 s; target under 4 s);
// - GET /messages, a page of 100 events back from the end, p50 and p99.
import { httpConnection } from "../http-connection.ts";
import { cpuReport, load, startMyelin } from "../lib.ts";

export const name = "http-rooms";

const MESSAGES = 3_500;

/** Lines of about the play's length (the text itself is not needed to measure the path). */
const line = (i: number) => `Line ${i}: But soft, what light through yonder window breaks? It is the east.`;

/** The same 3,500 requests against a server that answers at once: what client and loopback cost here. */
async function clientFloor(): Promise<number> {
  const noop = Bun.serve({ port: 0, hostname: "127.0.0.1", fetch: async (request) => (await request.text(), Response.json({ event_id: "$x" })) });
  const connection = httpConnection(`http://127.0.0.1:${noop.port}`);
  const started = performance.now();
  for (let i = 0; i < MESSAGES; i++) await connection.call("PUT", `/_matrix/client/v3/rooms/x/send/m.room.message/r${i}`, { msgtype: "m.text", body: line(i) }, "token");
  const seconds = (performance.now() - started) / 1000;
  connection.close();
  noop.stop(true);
  return seconds;
}

export async function run({ seconds }: { seconds: number }): Promise<Record<string, unknown>> {
  const server = await startMyelin({ MYELIN_ENABLE_REGISTRATION: "true", MYELIN_RC_EXEMPT_LOOPBACK: "true" });
  try {
    const call = async (method: string, path: string, body?: unknown, token?: string) => {
      const response = await fetch(`${server.url}${path}`, {
        method,
        headers: { "Content-Type": "application/json", ...(token ? { Authorization: `Bearer ${token}` } : {}) },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
      if (!response.ok) throw new Error(`${method} ${path}: ${response.status} ${await response.text()}`);
      return response.json() as Promise<any>;
    };
    const { access_token: token } = await call("POST", "/_matrix/client/v3/register", { username: "romeo", password: "bench-password", auth: { type: "m.login.dummy" } });
    const { room_id: roomId } = await call("POST", "/_matrix/client/v3/createRoom", { name: "Verona" }, token);
    const room = encodeURIComponent(roomId);
    // Warm-up: a few sends so JIT and caches are ready, as a running server would be.
    for (let i = 0; i < 20; i++) await call("PUT", `/_matrix/client/v3/rooms/${room}/send/m.room.message/warm${i}`, { msgtype: "m.text", body: "warm-up" }, token);
    const connection = httpConnection(server.url);
    const cpuBefore = cpuReport(server);
    const started = performance.now();
    for (let i = 0; i < MESSAGES; i++) {
      const answer = await connection.call("PUT", `/_matrix/client/v3/rooms/${room}/send/m.room.message/r${i}`, { msgtype: "m.text", body: line(i) }, token);
      if (answer.status !== 200) throw new Error(`send ${i}: ${answer.status} ${answer.body}`);
    }
    const replaySeconds = (performance.now() - started) / 1000;
    const cpuAfter = cpuReport(server);
    connection.close();
    const floor = await clientFloor();
    const page = () => fetch(`${server.url}/_matrix/client/v3/rooms/${room}/messages?dir=b&limit=100`, { headers: { Authorization: `Bearer ${token}` } });
    const messagesAvailable = (await page()).status === 200;
    return {
      romeoAndJuliet: { messages: MESSAGES, seconds: Number(replaySeconds.toFixed(2)), perMessageMs: Number(((replaySeconds * 1000) / MESSAGES).toFixed(3)) },
      cpuPerMessageMs: {
        myelin: Number(((cpuAfter.myelinMs - cpuBefore.myelinMs) / MESSAGES).toFixed(3)),
        postgres: Number(((cpuAfter.postgresMs - cpuBefore.postgresMs) / MESSAGES).toFixed(3)),
      },
      clientFloorAgainstNoOpServer: { seconds: Number(floor.toFixed(2)) },
      messagesPage100: messagesAvailable ? await load(page, seconds, 1) : "GET /messages not available",
    };
  } finally {
    await server.stop();
  }
}

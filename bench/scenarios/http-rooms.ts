// Rooms over HTTP against a real Myelin on its embedded PostgreSQL (fsync on):
// - the "Romeo and Juliet" replay: one client sends 3,500 messages one after another
//   (Conduit published 4.18 s, Synapse on PostgreSQL 106 s; target under 4 s);
// - GET /messages, a page of 100 events back from the end, p50 and p99.
import { load, startMyelin } from "../lib.ts";

export const name = "http-rooms";

const MESSAGES = 3_500;

/** Lines of about the play's length (the text itself is not needed to measure the path). */
const line = (i: number) => `Line ${i}: But soft, what light through yonder window breaks? It is the east.`;

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
    const started = performance.now();
    for (let i = 0; i < MESSAGES; i++) {
      await call("PUT", `/_matrix/client/v3/rooms/${room}/send/m.room.message/r${i}`, { msgtype: "m.text", body: line(i) }, token);
    }
    const replaySeconds = (performance.now() - started) / 1000;
    const page = () => fetch(`${server.url}/_matrix/client/v3/rooms/${room}/messages?dir=b&limit=100`, { headers: { Authorization: `Bearer ${token}` } });
    const messagesAvailable = (await page()).status === 200;
    return {
      romeoAndJuliet: { messages: MESSAGES, seconds: Number(replaySeconds.toFixed(2)), perMessageMs: Number(((replaySeconds * 1000) / MESSAGES).toFixed(3)) },
      messagesPage100: messagesAvailable ? await load(page, seconds, 1) : "GET /messages not available",
    };
  } finally {
    await server.stop();
  }
}

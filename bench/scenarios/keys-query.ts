// POST /keys/query for 500 users with uploaded device keys, over HTTP against a real Myelin on
// its embedded PostgreSQL (target under 100 ms: one statement for all users).
import { callJson, httpConnection } from "../http-connection.ts";
import { percentile, round, startMyelin } from "../lib.ts";
import { deviceSigner } from "../../test/helpers/device-keys.ts";

export const name = "keys-query";

const USERS = 500;
const WRITERS = 8;
const QUERIES = 20;

export async function run(): Promise<Record<string, unknown>> {
  const server = await startMyelin({ MYELIN_ENABLE_REGISTRATION: "true", MYELIN_RC_EXEMPT_LOOPBACK: "true" });
  try {
    const writers = Array.from({ length: WRITERS }, () => httpConnection(server.url));
    const call = callJson;
    const userIds: string[] = [];
    let token = "";
    await Promise.all(
      writers.map(async (connection, w) => {
        for (let u = w; u < USERS; u += WRITERS) {
          const session = await call(connection, "POST", "/_matrix/client/v3/register", { username: `keys${u}`, password: "bench-password", auth: { type: "m.login.dummy" } });
          const user = { userId: session.user_id as string, deviceId: session.device_id as string };
          await call(connection, "POST", "/_matrix/client/v3/keys/upload", { device_keys: deviceSigner(user).deviceKeys() }, session.access_token);
          userIds.push(user.userId);
          token = session.access_token;
        }
      }),
    );
    const querier = httpConnection(server.url);
    const body = { device_keys: Object.fromEntries(userIds.map((id) => [id, []])) };
    const times: number[] = [];
    let devices = 0;
    for (let i = 0; i < QUERIES; i++) {
      const started = performance.now();
      const answer = await querier.call("POST", "/_matrix/client/v3/keys/query", body, token);
      times.push(performance.now() - started);
      if (answer.status !== 200) throw new Error(`keys/query: ${answer.status} ${answer.body}`);
      devices = Object.values(JSON.parse(answer.body).device_keys as Record<string, object>).reduce((n, d) => n + Object.keys(d).length, 0);
    }
    return { users: USERS, devices, queries: QUERIES, p50Ms: round(percentile(times, 0.5)), maxMs: round(Math.max(...times)), targetMs: 100 };
  } finally {
    await server.stop();
  }
}

// Login throughput (argon2id: 64 MiB, 2 passes, see src/auth/passwords.ts) and the overhead of an
// authenticated request (token lookup through the in-memory cache) against an unauthenticated one.
import { load, startMyelin } from "../lib.ts";

export const name = "http-accounts";

export async function run({ seconds }: { seconds: number }): Promise<Record<string, unknown>> {
  const server = await startMyelin({ MYELIN_ENABLE_REGISTRATION: "true", MYELIN_RC_EXEMPT_LOOPBACK: "true" });
  try {
    const post = (path: string, body: unknown, token?: string) =>
      fetch(`${server.url}${path}`, {
        method: "POST",
        headers: { "Content-Type": "application/json", ...(token ? { Authorization: `Bearer ${token}` } : {}) },
        body: JSON.stringify(body),
      });
    const registered = await post("/_matrix/client/v3/register", { username: "bench", password: "bench-password", auth: { type: "m.login.dummy" } });
    const { access_token: token } = (await registered.json()) as { access_token: string };
    const loginBody = { type: "m.login.password", identifier: { type: "m.id.user", user: "bench" }, password: "bench-password" };
    const whoami = () => fetch(`${server.url}/_matrix/client/v3/account/whoami`, { headers: { Authorization: `Bearer ${token}` } });
    const versions = () => fetch(`${server.url}/_matrix/client/versions`);
    await load(whoami, 1, 8); // warm-up
    return {
      argon2id: { memoryKiB: 65_536, passes: 2 },
      login: await load(() => post("/_matrix/client/v3/login", loginBody), seconds, 8),
      whoami: await load(whoami, seconds, 32),
      unauthenticatedVersions: await load(versions, seconds, 32),
    };
  } finally {
    await server.stop();
  }
}

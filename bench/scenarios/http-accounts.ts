// Login throughput (argon2id: 64 MiB, 2 passes, see src/auth/passwords.ts) and the overhead of an
// authenticated request (token lookup through the in-memory cache) against an unauthenticated one.
import { round, startMyelin } from "../lib.ts";

export const name = "http-accounts";

async function measure(seconds: number, concurrency: number, send: () => Promise<Response>) {
  const latencies: number[] = [];
  let errors = 0;
  const end = performance.now() + seconds * 1000;
  const worker = async () => {
    while (performance.now() < end) {
      const t = performance.now();
      try {
        const res = await send();
        await res.arrayBuffer();
        if (!res.ok) errors++;
      } catch {
        errors++;
      }
      latencies.push(performance.now() - t);
    }
  };
  const started = performance.now();
  await Promise.all(Array.from({ length: concurrency }, worker));
  const elapsed = (performance.now() - started) / 1000;
  latencies.sort((a, b) => a - b);
  const at = (q: number) => latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))] ?? 0;
  return { requests: latencies.length, errors, rps: round(latencies.length / elapsed, 0), p50ms: round(at(0.5), 2), p99ms: round(at(0.99), 2) };
}

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
    await measure(1, 8, whoami); // warm-up
    return {
      argon2id: { memoryKiB: 65_536, passes: 2 },
      login: await measure(seconds, 8, () => post("/_matrix/client/v3/login", loginBody)),
      whoami: await measure(seconds, 32, whoami),
      unauthenticatedVersions: await measure(seconds, 32, versions),
    };
  } finally {
    await server.stop();
  }
}

// Requests per second and latency of the foundation's endpoints on loopback, and idle memory
// of Myelin and of its embedded PostgreSQL.
import { load, memoryReport, startMyelin } from "../lib.ts";

export const name = "http-foundation";

export async function run({ seconds }: { seconds: number }): Promise<Record<string, unknown>> {
  const concurrency = 32;
  const server = await startMyelin();
  try {
    await Bun.sleep(2000); // let start-up settle before reading idle memory
    const idle = memoryReport(server);
    await load(`${server.url}/_matrix/client/versions`, 2, concurrency); // warm-up
    const versions = await load(`${server.url}/_matrix/client/versions`, seconds, concurrency);
    const keys = await load(`${server.url}/_matrix/key/v2/server`, seconds, concurrency);
    return {
      load: { seconds, concurrency, client: "bun fetch in a second process on the same cores" },
      idle,
      versions,
      keys,
      afterLoad: memoryReport(server),
    };
  } finally {
    await server.stop();
  }
}

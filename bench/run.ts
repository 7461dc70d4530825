// `bun run bench [seconds]`: the benchmark scenarios. Prints a JSON report to copy into
// bench/RESULTS.md with the date and the machine.
import { cpus, totalmem } from "node:os";
import { load, memoryReport, startMyelin } from "./lib.ts";

const seconds = Number(process.argv[2] ?? 10);
const concurrency = 32;

const server = await startMyelin();
try {
  await Bun.sleep(2000); // let start-up settle before reading idle memory
  const idle = memoryReport(server);
  // Warm up the JIT and the connections before measuring.
  await load(`${server.url}/_matrix/client/versions`, 2, concurrency);
  const versions = await load(`${server.url}/_matrix/client/versions`, seconds, concurrency);
  const keys = await load(`${server.url}/_matrix/key/v2/server`, seconds, concurrency);
  const after = memoryReport(server);
  console.log(
    JSON.stringify(
      {
        date: new Date().toISOString(),
        machine: { cpus: cpus().length, cpu: cpus()[0]?.model, memoryGiB: Math.round(totalmem() / 2 ** 30), bun: Bun.version },
        load: { seconds, concurrency, client: "bun fetch in a second process on the same 2 cores" },
        idle,
        versions,
        keys,
        afterLoad: after,
      },
      null,
      2,
    ),
  );
} finally {
  await server.stop();
}

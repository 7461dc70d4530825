// Bench helpers: start Myelin as a separate process, drive load from this one, read memory.
import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { chmodSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import type { Subprocess } from "bun";

const root = resolve(import.meta.dir, "..");

export interface Started {
  url: string;
  pid: number;
  dataDirectory: string;
  stop(): Promise<void>;
}

async function freePort(): Promise<number> {
  const server = Bun.serve({ port: 0, hostname: "127.0.0.1", fetch: () => new Response() });
  const port = server.port!;
  server.stop(true);
  return port;
}

export async function startMyelin(env: Record<string, string> = {}): Promise<Started> {
  const dataDirectory = mkdtempSync(join(tmpdir(), "myelin-bench-"));
  chmodSync(dataDirectory, 0o755);
  const port = await freePort();
  const child: Subprocess = Bun.spawn([process.execPath, join(root, "src/cli/main.ts"), "serve"], {
    env: {
      ...process.env,
      MYELIN_DATA_DIRECTORY: dataDirectory,
      MYELIN_LISTENERS: JSON.stringify([{ port, bind_addresses: ["127.0.0.1"], resources: [{ names: ["client", "federation"] }] }]),
      ...env,
    },
    stdout: "ignore",
    stderr: "ignore",
  });
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 60_000;
  for (;;) {
    try {
      if ((await fetch(`${url}/health`)).ok) break;
    } catch {}
    if (Date.now() > deadline || child.exitCode !== null) throw new Error("Myelin did not start");
    await Bun.sleep(50);
  }
  return {
    url,
    pid: child.pid,
    dataDirectory,
    async stop() {
      child.kill("SIGTERM");
      await child.exited;
      rmSync(dataDirectory, { recursive: true, force: true });
    },
  };
}

/** Resident memory of a process in MiB (RSS and PSS; PSS splits shared pages fairly). */
export function memoryOf(pid: number): { rss: number; pss: number } {
  const status = readFileSync(`/proc/${pid}/status`, "utf8");
  const rss = Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0) / 1024;
  let pss = 0;
  try {
    pss = Number(/Pss:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/smaps_rollup`, "utf8"))?.[1] ?? 0) / 1024;
  } catch {}
  return { rss, pss };
}

/** The embedded PostgreSQL's processes: the postmaster named in postmaster.pid and its children. */
export function postgresPids(dataDirectory: string): number[] {
  let postmaster: number;
  try {
    postmaster = Number(readFileSync(join(dataDirectory, "postgres", "postmaster.pid"), "utf8").split("\n")[0]);
  } catch {
    return [];
  }
  const pids = [postmaster];
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const ppid = Number(/PPid:\s+(\d+)/.exec(readFileSync(`/proc/${entry}/status`, "utf8"))?.[1]);
      if (ppid === postmaster) pids.push(Number(entry));
    } catch {}
  }
  return pids;
}

export function memoryReport(started: Started) {
  const myelin = memoryOf(started.pid);
  const pg = postgresPids(started.dataDirectory).map(memoryOf);
  return {
    myelinRssMiB: round(myelin.rss),
    postgresProcesses: pg.length,
    postgresRssMiB: round(pg.reduce((sum, m) => sum + m.rss, 0)),
    postgresPssMiB: round(pg.reduce((sum, m) => sum + m.pss, 0)),
  };
}

/** CPU time (user + system) a process has used so far, in milliseconds. */
export function cpuMsOf(pid: number): number {
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1]!.split(" ");
    // utime and stime are fields 14 and 15 of stat, in clock ticks (100 per second on Linux).
    return (Number(fields[11]) + Number(fields[12])) * 10;
  } catch {
    return 0;
  }
}

/** CPU milliseconds used so far by Myelin and by its PostgreSQL processes. */
export function cpuReport(started: Started): { myelinMs: number; postgresMs: number } {
  return { myelinMs: cpuMsOf(started.pid), postgresMs: postgresPids(started.dataDirectory).reduce((sum, pid) => sum + cpuMsOf(pid), 0) };
}

/** The q-quantile (0..1) of the values (nearest rank; 0 when empty). */
export const percentile = (values: readonly number[], q: number) => [...values].sort((a, b) => a - b)[Math.min(values.length - 1, Math.floor(q * values.length))] ?? 0;

export const round = (value: number, digits = 1) => Math.round(value * 10 ** digits) / 10 ** digits;

export interface LoadResult {
  requests: number;
  errors: number;
  rps: number;
  p50ms: number;
  p99ms: number;
}

/**
 * Closed-loop load: `concurrency` clients each sending the next request when the last answers.
 * `target` is a URL to GET or a function sending any request.
 */
export async function load(target: string | (() => Promise<Response>), seconds: number, concurrency: number): Promise<LoadResult> {
  const send = typeof target === "string" ? () => fetch(target) : target;
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

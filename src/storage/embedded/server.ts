// One run of the PostgreSQL server: spawn it, wait until it is ready, stop it.
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import type { Logger } from "../../log/logger.ts";
import { EmbeddedPostgresError } from "../errors.ts";
import type { RunAs } from "./os-user.ts";
import { settlesWithin, spawnChild, type Child } from "./server-process.ts";

/** Limit: WAL replay after a crash runs before "ready"; it replays at most max_wal_size (1 GB). */
const STARTUP_TIMEOUT_MS = 5 * 60_000;
/** Limit: a fast shutdown ends with a checkpoint; past this, an immediate shutdown (WAL replay next start). */
const STOP_TIMEOUT_MS = 30_000;
/** How often postmaster.pid is read while waiting for "ready". */
const POLL_MS = 10;

export interface RunningServer {
  pid: number;
  /** Resolves when the server has ended, whether by stop() or not (then it is logged as an error). */
  exited: Promise<void>;
  /** Fast shutdown (SIGINT); idempotent. */
  stop(): Promise<void>;
}

export type ServerRun = { ready: RunningServer } | { failed: { code: number | string; output: string } };

export interface RunOptions {
  binDir: string;
  clusterDir: string;
  args: string[];
  runAs: RunAs | undefined;
  log: Logger;
}

/** Starts the server and waits until postmaster.pid says "ready" (or the process ends). */
export async function runServer({ binDir, clusterDir, args, runAs, log }: RunOptions): Promise<ServerRun> {
  const child = spawnChild({
    cmd: [join(binDir, "postgres"), "-D", clusterDir, ...args],
    cwd: clusterDir,
    runAs,
    log,
    parentDeathSignal: "SIGINT", // Myelin killed: the server shuts down cleanly by itself (Linux)
  });
  let ended = false;
  void child.exited.then(() => (ended = true));
  const deadline = Date.now() + STARTUP_TIMEOUT_MS;
  while (!ended) {
    const lines = (await readFile(join(clusterDir, "postmaster.pid"), "utf8").catch(() => "")).split("\n");
    // Line 1 is the pid, line 8 the status PostgreSQL 10+ keeps there ("starting", "ready", ...).
    if (lines[0] === String(child.proc.pid) && lines[7]?.trim() === "ready") return { ready: supervise(child, log) };
    if (Date.now() > deadline) {
      child.proc.kill("SIGQUIT");
      await child.exited;
      throw new EmbeddedPostgresError(`the embedded PostgreSQL did not become ready in ${STARTUP_TIMEOUT_MS / 1000} s`);
    }
    await Bun.sleep(POLL_MS);
  }
  return { failed: { code: await child.exited, output: child.tail() } };
}

function supervise(child: Child, log: Logger): RunningServer {
  let stopping: Promise<void> | undefined;
  const exited = child.exited.then((code) => {
    if (!stopping) log.error("the embedded PostgreSQL exited unexpectedly", { code, output: child.tail() });
  });
  const stop = () =>
    (stopping ??= (async () => {
      if (child.proc.exitCode === null && child.proc.signalCode === null) {
        child.proc.kill("SIGINT"); // fast shutdown: ends sessions, writes a checkpoint
        if (!(await settlesWithin(child.exited, STOP_TIMEOUT_MS))) {
          log.warn("the embedded PostgreSQL did not stop in time; immediate shutdown", { pid: child.proc.pid });
          child.proc.kill("SIGQUIT");
        }
      }
      await child.exited;
      await Promise.resolve()
        .then(() => child.proc.stdin.end())
        .catch(() => {}); // the pipe may already be closed
    })());
  return { pid: child.proc.pid, exited, stop };
}

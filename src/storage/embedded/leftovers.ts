// What a killed Myelin can leave behind in the cluster folder, and how to clear it safely.
// - A live postgres still serving the cluster (orphan): shut it down the normal way, SIGINT
//   (fast shutdown: aborts open transactions, writes a checkpoint). Committed data is safe.
// - Lock files (postmaster.pid, .s.PGSQL.5432.lock) whose pid is dead, a zombie, or now an
//   unrelated process: delete them.
// Nothing here resets WAL or touches data files; PostgreSQL replays its WAL on the next start.
// Myelin's data-folder lock (data-dir-lock.ts) guarantees no other Myelin uses this cluster.
import { readdir, readFile, readlink, realpath, rm } from "node:fs/promises";
import { basename, join } from "node:path";
import type { Logger } from "../../log/logger.ts";
import { EmbeddedPostgresError } from "../errors.ts";

/** Limit: a fast shutdown ends with a checkpoint, which takes long only with many dirty buffers. */
const ORPHAN_SHUTDOWN_TIMEOUT_MS = 60_000;
/** Limit: after SIGQUIT (immediate shutdown, WAL replay at next start) the processes exit at once. */
const ORPHAN_QUIT_TIMEOUT_MS = 10_000;
/** How often to look whether a process has gone. */
const POLL_MS = 20;

/** True while `pid` exists and is not a zombie waiting for its parent. */
export async function isRunning(pid: number): Promise<boolean> {
  try {
    process.kill(pid, 0);
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "EPERM"; // exists, owned by another user
  }
  if (process.platform !== "linux") return true;
  const stat = await readFile(`/proc/${pid}/stat`, "utf8").catch(() => "");
  return !/\) Z /.test(stat);
}

/** Whether `pid` is a postgres server process whose data directory is `clusterDir`. */
async function isPostgresOf(pid: number, clusterDir: string): Promise<boolean> {
  const cluster = await realpath(clusterDir);
  if (process.platform === "linux") {
    // The postmaster chdir()s into its data directory, so its cwd names the cluster exactly.
    const exe = await readlink(`/proc/${pid}/exe`).catch(() => "");
    const cwd = await readlink(`/proc/${pid}/cwd`).catch(() => "");
    return basename(exe).startsWith("postgres") && cwd === cluster;
  }
  // Elsewhere (macOS): the command line Myelin started it with, `postgres -D <cluster> ...`.
  const ps = Bun.spawnSync({ cmd: ["ps", "-o", "command=", "-p", String(pid)], stdout: "pipe" });
  const command = ps.stdout.toString();
  return /(^|\/)postgres /.test(command) && (command.includes(`-D ${clusterDir} `) || command.includes(`-D ${cluster} `));
}

async function waitGone(pid: number, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (!(await isRunning(pid))) return true;
    await Bun.sleep(POLL_MS);
  }
  return !(await isRunning(pid));
}

/** The pid on the first line of a PostgreSQL lock file, if it is a number. */
function lockFilePid(text: string): number | undefined {
  const pid = Number(text.split("\n")[0]);
  return Number.isInteger(pid) && pid > 0 ? pid : undefined;
}

/**
 * Makes the cluster startable after a crash: stops an orphaned server, then removes lock
 * files (postmaster.pid, and .s.PGSQL.<port>.lock beside the socket) whose pid is no longer
 * a server of this cluster. PostgreSQL removes those itself only when the pid is gone, not
 * when a zombie or an unrelated process has it.
 */
export async function clearLeftovers(clusterDir: string, log: Logger): Promise<void> {
  const pidFile = join(clusterDir, "postmaster.pid");
  const text = await readFile(pidFile, "utf8").catch(() => undefined);
  const pid = text === undefined ? undefined : lockFilePid(text);
  if (pid && (await isRunning(pid)) && (await isPostgresOf(pid, clusterDir))) await stopOrphan(pid, clusterDir, log);
  const lockFiles = (await readdir(clusterDir)).filter((name) => /^\.s\.PGSQL\.\d+\.lock$/.test(name));
  for (const name of ["postmaster.pid", ...lockFiles]) {
    const path = join(clusterDir, name);
    const content = await readFile(path, "utf8").catch(() => undefined);
    if (content === undefined) continue; // gone (a server that stopped removes its own)
    const holder = lockFilePid(content);
    if (holder && (await isRunning(holder)) && (await isPostgresOf(holder, clusterDir))) continue;
    log.info("removing a stale PostgreSQL lock file", { file: name, pid: holder });
    await rm(path, { force: true });
  }
}

async function stopOrphan(pid: number, clusterDir: string, log: Logger): Promise<void> {
  log.warn("a PostgreSQL server left by an earlier Myelin still runs on the cluster; shutting it down", { pid });
  process.kill(pid, "SIGINT");
  if (await waitGone(pid, ORPHAN_SHUTDOWN_TIMEOUT_MS)) return;
  log.warn("the old PostgreSQL server did not stop in time; asking for an immediate shutdown", { pid });
  process.kill(pid, "SIGQUIT");
  if (await waitGone(pid, ORPHAN_QUIT_TIMEOUT_MS)) return;
  throw new EmbeddedPostgresError(
    `an old PostgreSQL server (pid ${pid}) still runs on ${clusterDir} and does not stop: stop it, then start Myelin again`,
  );
}

// The PostgreSQL server Myelin runs itself, in `<dataDirectory>/postgres`, when the config
// says `database.name: embedded`. Myelin starts it, connects over a Unix socket inside the
// cluster folder (no TCP listener), and stops it with a fast shutdown. Crash leftovers are
// cleared on start (embedded/leftovers.ts), which is safe only because no other Myelin uses
// the folder: the caller holds the data folder's lock (data-dir-lock.ts), or this takes it
// for the server's lifetime.
import { mkdir, stat } from "node:fs/promises";
import { dirname, join, resolve } from "node:path";
import postgres from "postgres";
import type { Logger } from "../log/logger.ts";
import { acquireDataDirectoryLock, holdsDataDirectoryLock } from "./data-dir-lock.ts";
import { hydrateSymlinks, mirrorBinaries, type PostgresBinaries } from "./embedded/binaries.ts";
import { clusterPaths, ensureCluster, readPassword, SUPERUSER } from "./embedded/cluster.ts";
import { chooseEndpoint, connectionFor, serverArguments, type PostgresConnection } from "./embedded/endpoint.ts";
import { clearLeftovers } from "./embedded/leftovers.ts";
import { canTraverse, ensureOwnedBy, postgresRunAs, reachDataFolder } from "./embedded/os-user.ts";
import { runServer, type RunningServer } from "./embedded/server.ts";
import { EmbeddedPostgresError } from "./errors.ts";

export { hydrateSymlinks, resolveDevBinaries, type PostgresBinaries } from "./embedded/binaries.ts";
export type { PostgresConnection } from "./embedded/endpoint.ts";

/** Where root keeps PostgreSQL binaries the postgres user must reach when the checkout and data folder are private. */
const ROOT_BINARIES_CACHE = "/var/cache/myelin/postgres-bin";
/** The database Myelin's tables live in. */
export const EMBEDDED_DATABASE = "myelin";
/** Limit: start attempts while processes of a killed server still hold its shared memory (≈10 s). */
const START_ATTEMPTS = 20;
const RETRY_DELAY_MS = 500;

export interface EmbeddedPostgresOptions {
  dataDirectory: string;
  binaries: PostgresBinaries;
  log: Logger;
  /** Extra server settings (`-c name=value`), e.g. `{ fsync: "off" }` for a throwaway test cluster. */
  settings?: Record<string, string>;
  /** Throwaway clusters (tests) only: skip initdb's final fsync. */
  unsafeSkipInitSync?: boolean;
}

export interface EmbeddedPostgres extends RunningServer {
  connection: PostgresConnection;
  clusterDirectory: string;
}

async function ensureDatabase(connection: PostgresConnection): Promise<void> {
  const admin = postgres({ ...connection, database: "postgres", max: 1, fetch_types: false, onnotice: () => {} });
  try {
    const rows = await admin`select 1 from pg_database where datname = ${connection.database}`;
    if (rows.length === 0) await admin.unsafe(`create database "${connection.database}"`);
  } finally {
    await admin.end();
  }
}

/** Data folders with a server started by this process, to refuse a second one on the same folder. */
const runningHere = new Set<string>();

export async function startEmbeddedPostgres(options: EmbeddedPostgresOptions): Promise<EmbeddedPostgres> {
  const dataDirectory = resolve(options.dataDirectory);
  if (runningHere.has(dataDirectory)) {
    throw new EmbeddedPostgresError(`an embedded PostgreSQL already runs on ${dataDirectory} in this process`);
  }
  const lock = holdsDataDirectoryLock(dataDirectory) ? undefined : acquireDataDirectoryLock(dataDirectory);
  runningHere.add(dataDirectory);
  const release = () => {
    runningHere.delete(dataDirectory);
    lock?.release();
  };
  try {
    const server = await start(dataDirectory, options);
    void server.exited.then(release); // also when the server dies on its own
    return { ...server, stop: () => server.stop().then(release) };
  } catch (error) {
    release();
    throw error;
  }
}

async function start(dataDirectory: string, options: EmbeddedPostgresOptions): Promise<EmbeddedPostgres> {
  const log = options.log.child({ component: "embedded-postgres" });
  let binDir = join(resolve(options.binaries.dir), "bin");
  await mkdir(dirname(dataDirectory), { recursive: true }); // parents get the usual mode,
  await mkdir(dataDirectory, { recursive: true, mode: 0o700 }); // the data folder stays private
  await hydrateSymlinks(options.binaries.dir);
  if (!(await stat(join(binDir, "postgres")).catch(() => undefined))) {
    throw new EmbeddedPostgresError(`no PostgreSQL server binary at ${join(binDir, "postgres")}`);
  }
  let runAs = postgresRunAs(log);
  if (runAs) {
    runAs = await reachDataFolder(dataDirectory, runAs, log);
    if (!(await canTraverse(binDir, runAs))) {
      // initdb finds `postgres` with access(2), which ignores capabilities: the binaries must be
      // reachable by plain permissions, so below a private folder they go to a root-owned cache.
      const mirror = runAs.searchAnyFolder ? ROOT_BINARIES_CACHE : join(dataDirectory, "postgres-bin");
      log.info("the PostgreSQL binaries are out of the system user's reach; mirroring them", { from: options.binaries.dir, to: mirror });
      binDir = join((await mirrorBinaries(options.binaries.dir, mirror)).dir, "bin");
    }
  }
  const paths = clusterPaths(dataDirectory);
  await ensureCluster({ paths, binDir, runAs, log, skipSync: options.unsafeSkipInitSync ?? false });
  if (runAs) await ensureOwnedBy(paths.clusterDir, runAs, log);

  for (let attempt = 1; ; attempt++) {
    await clearLeftovers(paths.clusterDir, log);
    const endpoint = await chooseEndpoint(paths.clusterDir, () => readPassword(paths));
    const args = serverArguments(endpoint, options.settings ?? {});
    const run = await runServer({ binDir, clusterDir: paths.clusterDir, args, runAs, log });
    if ("ready" in run) {
      const server = { ...run.ready, connection: connectionFor(endpoint, SUPERUSER, EMBEDDED_DATABASE), clusterDirectory: paths.clusterDir };
      try {
        await ensureDatabase(server.connection);
      } catch (error) {
        await server.stop();
        throw new EmbeddedPostgresError(`the embedded PostgreSQL started but creating its database failed: ${String(error)}`);
      }
      log.info("embedded PostgreSQL ready", { pid: server.pid, via: "socketDir" in endpoint ? "socket" : "tcp" });
      return server;
    }
    const { code, output } = run.failed;
    // Retried: processes of a killed server still attached to its shared memory (they exit once
    // they notice), a just-killed process still holding a lock file for a moment, or another
    // program taking the TCP port between our probe and the server's bind.
    const transient = /pre-existing shared memory block|lock file ".*" already exists|could not bind/i;
    if (attempt < START_ATTEMPTS && transient.test(output)) {
      log.info("embedded PostgreSQL start failed, retrying", { attempt, reason: output.split("\n").at(-1) });
      await Bun.sleep(RETRY_DELAY_MS);
      continue;
    }
    throw new EmbeddedPostgresError(`the embedded PostgreSQL in ${paths.clusterDir} did not start (${code}):\n${output}`);
  }
}

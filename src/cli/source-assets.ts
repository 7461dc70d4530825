// Bundled files when running from a source checkout: PostgreSQL from node_modules,
// migrations from the repository's migrations/ folder. The single binary passes its own.
import { join } from "node:path";
import type { RuntimeAssets } from "../main.ts";
import { hydrateSymlinks, resolveDevBinaries } from "../storage/embedded/binaries.ts";
import { loadMigrationsFromDirectory } from "../storage/migrate.ts";

export function sourceAssets(): RuntimeAssets {
  return {
    async postgresBinaries() {
      const binaries = resolveDevBinaries();
      await hydrateSymlinks(binaries.dir);
      return binaries;
    },
    migrations: () => loadMigrationsFromDirectory(join(import.meta.dir, "../../migrations")),
  };
}

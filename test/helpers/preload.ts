// Preloaded by bunfig.toml for every `bun test` run. An afterAll registered here is global:
// in a plain run (one process, files in sequence) it runs once, after the last test file.
// (With --isolate or --parallel, Bun runs preload hooks around every file, so each file then
// gets, and stops, its own server: slower, still correct.)
import { afterAll } from "bun:test";

afterAll(async () => {
  // Imported here, not at the top: test files that never touch a database pay nothing.
  const { stopTestServer } = await import("./db.ts");
  await stopTestServer();
});

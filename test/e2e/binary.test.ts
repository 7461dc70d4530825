// The single binary: built from this checkout, copied alone into an empty folder, started with
// no configuration, answering over HTTP; restarted, it keeps its signing key and its data.
import { afterAll, expect, test } from "bun:test";
import { copyFileSync, existsSync, rmSync, statSync } from "node:fs";
import { join } from "node:path";
import { listenerEnv, repoRoot, spawnMyelin, tempFolder } from "../helpers/process.ts";
import { json } from "../helpers/services.ts";
import { WORKER_ENTRIES } from "../../src/engine/worker-entry.ts";

const folder = tempFolder("myelin-binary-");
afterAll(() => rmSync(folder, { recursive: true, force: true }));

test("dist/myelin runs a homeserver from an empty folder and keeps its key across restarts", async () => {
  const build = Bun.spawnSync([process.execPath, join(repoRoot, "scripts/build-binary.ts")], { stdout: "pipe", stderr: "pipe" });
  expect(build.exitCode, build.stderr.toString()).toBe(0);
  const binary = join(folder, "myelin");
  copyFileSync(join(repoRoot, "dist/myelin"), binary);

  // Only the binary: no node_modules, no config; the port is the one thing set, so runs never collide.
  const env = { MYELIN_LISTENERS: listenerEnv(["client", "federation"]), PATH: "/usr/bin:/bin" };
  const first = spawnMyelin(["serve"], env, [binary], folder);
  let keyId: string;
  try {
    const [url] = await first.urls(120_000);
    const versions = await fetch(`${url}/_matrix/client/versions`);
    expect(versions.status).toBe(200);
    expect((await json(versions)).versions).toContain("v1.1");
    const keys = await json(await fetch(`${url}/_matrix/key/v2/server`));
    expect(keys.server_name).toBe("localhost");
    keyId = Object.keys(keys.verify_keys)[0]!;
  } finally {
    expect(await first.stop()).toBe(0);
  }
  expect(existsSync(join(folder, "data", "localhost.signing.key"))).toBe(true);
  const cluster = statSync(join(folder, "data", "postgres", "PG_VERSION"));

  const second = spawnMyelin(["serve"], env, [binary], folder);
  try {
    const [url] = await second.urls(60_000);
    const keys = await json(await fetch(`${url}/_matrix/key/v2/server`));
    expect(Object.keys(keys.verify_keys)).toEqual([keyId]);
    // the cluster from the first run is reused, not recreated
    const again = statSync(join(folder, "data", "postgres", "PG_VERSION"));
    expect([again.ino, again.mtimeMs]).toEqual([cluster.ino, cluster.mtimeMs]);
  } finally {
    expect(await second.stop()).toBe(0);
  }
}, 300_000);

/** Compiles a probe (with the workers as entry points, as scripts/build-binary.ts does), runs it alone, returns its JSON output. */
function runCompiledProbe(fixture: string): unknown {
  const probe = join(folder, fixture.replace(/\.ts$/, ""));
  const entries = [join(repoRoot, "test/e2e/fixtures", fixture), ...WORKER_ENTRIES.map((path) => join(repoRoot, path))];
  const build = Bun.spawnSync([process.execPath, "build", "--compile", "--root", repoRoot, ...entries, "--outfile", probe], { stderr: "pipe" });
  expect(build.exitCode, build.stderr.toString()).toBe(0);
  const run = Bun.spawnSync([probe], { cwd: folder, env: { PATH: "/usr/bin:/bin" }, stdout: "pipe", stderr: "pipe" });
  expect(run.exitCode, run.stderr.toString()).toBe(0);
  return JSON.parse(run.stdout.toString());
}

test("the state-resolution worker loads inside a compiled executable", () => {
  // The ban wins (power) over the display name change: only the worker can have answered.
  expect(runCompiledProbe("worker-probe.ts")).toBe("$ban");
}, 60_000);

test("the thumbnail worker loads inside a compiled executable", () => {
  expect(runCompiledProbe("thumbnail-worker-probe.ts")).toEqual({ width: 16, height: 8 });
}, 60_000);

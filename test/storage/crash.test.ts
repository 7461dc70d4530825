// THE crash test: kill -9 a Myelin mid-write (and, in the second case, its PostgreSQL too),
// start again on the same data folder, and find every row it reported as committed.
import { afterAll, expect, test } from "bun:test";
import { rmSync } from "node:fs";
import { join } from "node:path";
import postgres from "postgres";
import { acquireDataDirectoryLock } from "../../src/storage/data-dir-lock.ts";
import { resolveDevBinaries, startEmbeddedPostgres } from "../../src/storage/embedded-postgres.ts";
import { makeTempFolder, testLog } from "../helpers/db.ts";

const root = makeTempFolder("myelin-crash-");
afterAll(() => rmSync(root, { recursive: true, force: true }));
const fixture = join(import.meta.dir, "fixtures/insert-loop.ts");
/** Rows to see committed before the kill: enough that the kill lands mid-stream. */
const ROWS_BEFORE_KILL = 300;

/** Runs the fixture until it has printed ROWS_BEFORE_KILL ids, then kills it (and maybe postgres) with SIGKILL. */
async function writeAndKill(dataDirectory: string, alsoKillPostgres: boolean): Promise<string[]> {
  const proc = Bun.spawn({ cmd: [process.execPath, fixture, dataDirectory], stdout: "pipe", stderr: "inherit" });
  const ids: string[] = [];
  let postgresPid = 0;
  let buffered = "";
  const decoder = new TextDecoder();
  for await (const chunk of proc.stdout) {
    buffered += decoder.decode(chunk, { stream: true });
    const lines = buffered.split("\n");
    buffered = lines.pop()!;
    for (const line of lines) {
      if (line.startsWith("postgres ")) postgresPid = Number(line.slice(9));
      else ids.push(line);
    }
    if (ids.length >= ROWS_BEFORE_KILL) break;
  }
  expect(postgresPid).toBeGreaterThan(0);
  proc.kill("SIGKILL");
  if (alsoKillPostgres) process.kill(postgresPid, "SIGKILL");
  await proc.exited;
  return ids;
}

async function restartAndCount(dataDirectory: string, ids: string[]): Promise<void> {
  const lock = acquireDataDirectoryLock(dataDirectory); // the killed holder's lock is gone
  const server = await startEmbeddedPostgres({ dataDirectory, binaries: resolveDevBinaries(), log: testLog });
  const sql = postgres({ ...server.connection, max: 1 });
  try {
    const rows = await sql<{ id: string }[]>`select id::text from crash_rows where id = any(${ids}::bigint[])`;
    expect(rows.length).toBe(ids.length);
  } finally {
    await sql.end();
    await server.stop();
    lock.release();
  }
}

test("kill -9 of Myelin: the next start works and every committed row is there", async () => {
  const dataDirectory = join(root, "myelin-only");
  const ids = await writeAndKill(dataDirectory, false);
  await restartAndCount(dataDirectory, ids);
});

test("kill -9 of Myelin and of its PostgreSQL: the next start recovers every committed row", async () => {
  const dataDirectory = join(root, "both");
  const first = await writeAndKill(dataDirectory, true);
  // Twice: the second run writes on the recovered cluster, then is killed again.
  const second = await writeAndKill(dataDirectory, true);
  await restartAndCount(dataDirectory, [...first, ...second]);
});

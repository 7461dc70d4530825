import { afterAll, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { acquireDataDirectoryLock } from "../../src/storage/data-dir-lock.ts";
import { DataDirectoryInUseError } from "../../src/storage/errors.ts";

const root = mkdtempSync(join(tmpdir(), "myelin-lock-"));
afterAll(() => rmSync(root, { recursive: true, force: true }));
const fixture = join(import.meta.dir, "fixtures/lock.ts");
let folders = 0;
const freshFolder = () => join(root, `data-${++folders}`);

async function runFixture(dir: string, mode: "try" | "hold") {
  const proc = Bun.spawn({ cmd: [process.execPath, fixture, dir, mode], stdout: "pipe", stderr: "inherit" });
  const reader = proc.stdout.getReader();
  const { value } = await reader.read(); // the fixture prints one line, then exits or holds
  reader.releaseLock();
  return { proc, line: new TextDecoder().decode(value).trim() };
}

test("a second acquirer in the same process is refused until the first releases", () => {
  const dir = freshFolder();
  const lock = acquireDataDirectoryLock(dir);
  let error: unknown;
  try {
    acquireDataDirectoryLock(dir);
  } catch (e) {
    error = e;
  }
  expect(error).toBeInstanceOf(DataDirectoryInUseError);
  expect((error as Error).message).toBe(`data folder ${dir} is in use by another Myelin process (pid ${process.pid})`);
  lock.release();
  lock.release(); // idempotent
  acquireDataDirectoryLock(dir).release();
});

test("another process is refused with the holder's pid", async () => {
  const dir = freshFolder();
  const lock = acquireDataDirectoryLock(dir);
  const { proc, line } = await runFixture(dir, "try");
  expect(line).toBe(`data folder ${dir} is in use by another Myelin process (pid ${process.pid})`);
  expect(await proc.exited).toBe(1);
  lock.release();
  const again = await runFixture(dir, "try");
  expect(again.line).toBe("acquired");
  expect(await again.proc.exited).toBe(0);
});

test("the lock disappears when its holder is killed with SIGKILL", async () => {
  const dir = freshFolder();
  const { proc, line } = await runFixture(dir, "hold");
  expect(line).toBe("held");
  expect(() => acquireDataDirectoryLock(dir)).toThrow(`(pid ${proc.pid})`);
  proc.kill("SIGKILL");
  await proc.exited;
  acquireDataDirectoryLock(dir).release();
});

test("child processes do not inherit the lock", async () => {
  const dir = freshFolder();
  const lock = acquireDataDirectoryLock(dir);
  // Would keep an inherited lock alive. Between fork and exec every child briefly shares the
  // descriptor (O_CLOEXEC closes it at exec), so wait until it has exec'd and printed.
  const child = Bun.spawn({ cmd: ["sh", "-c", "echo ready; exec sleep 30"], stdout: "pipe" });
  try {
    const reader = child.stdout.getReader();
    expect(new TextDecoder().decode((await reader.read()).value)).toBe("ready\n");
    lock.release();
    acquireDataDirectoryLock(dir).release();
  } finally {
    child.kill();
  }
});

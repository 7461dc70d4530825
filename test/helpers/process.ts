// Running the `myelin` command as a separate process, the way operators do.
import { chmodSync, mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import type { Subprocess } from "bun";

export const repoRoot = resolve(import.meta.dir, "../..");
export const sourceCommand = [process.execPath, join(repoRoot, "src/cli/main.ts")];

/** A temporary folder the embedded PostgreSQL's system user can reach when tests run as root. */
export function tempFolder(prefix = "myelin-test-"): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  chmodSync(dir, 0o755);
  return dir;
}

export interface RunningProcess {
  proc: Subprocess<"ignore", "pipe", "pipe">;
  /** stderr lines so far (JSON log lines and plain messages). */
  lines: string[];
  /** Resolves with the first line matching, or rejects after `timeoutMs` or when the process exits. */
  waitFor(pattern: RegExp, timeoutMs?: number): Promise<string>;
  /** The URLs from the "listening" log line. */
  urls(timeoutMs?: number): Promise<string[]>;
  stop(signal?: NodeJS.Signals): Promise<number>;
}

export function spawnMyelin(args: string[], env: Record<string, string> = {}, command = sourceCommand, cwd?: string): RunningProcess {
  const proc = Bun.spawn([...command, ...args], {
    env: { PATH: process.env.PATH ?? "/usr/bin:/bin", HOME: process.env.HOME ?? "/root", ...env },
    stdin: "ignore",
    stdout: "pipe",
    stderr: "pipe",
    cwd,
  });
  const lines: string[] = [];
  const waiters: { pattern: RegExp; resolve: (line: string) => void }[] = [];
  (async () => {
    const decoder = new TextDecoder();
    let buffer = "";
    for await (const chunk of proc.stderr) {
      buffer += decoder.decode(chunk, { stream: true });
      let newline: number;
      while ((newline = buffer.indexOf("\n")) >= 0) {
        const line = buffer.slice(0, newline);
        buffer = buffer.slice(newline + 1);
        lines.push(line);
        for (const waiter of [...waiters]) {
          if (waiter.pattern.test(line)) {
            waiters.splice(waiters.indexOf(waiter), 1);
            waiter.resolve(line);
          }
        }
      }
    }
    if (buffer) lines.push(buffer);
  })();
  const waitFor = (pattern: RegExp, timeoutMs = 60_000) =>
    new Promise<string>((resolvePromise, reject) => {
      const found = lines.find((line) => pattern.test(line));
      if (found) return resolvePromise(found);
      const timer = setTimeout(() => reject(new Error(`timed out waiting for ${pattern}; stderr:\n${lines.join("\n")}`)), timeoutMs);
      waiters.push({ pattern, resolve: (line) => (clearTimeout(timer), resolvePromise(line)) });
      proc.exited.then((code) => {
        setTimeout(() => {
          clearTimeout(timer);
          reject(new Error(`exited with ${code} before ${pattern}; stderr:\n${lines.join("\n")}`));
        }, 50);
      });
    });
  return {
    proc,
    lines,
    waitFor,
    async urls(timeoutMs) {
      const line = await waitFor(/"msg":"listening"/, timeoutMs);
      return JSON.parse(line).urls as string[];
    },
    async stop(signal = "SIGTERM") {
      if (proc.exitCode === null) proc.kill(signal);
      return proc.exited;
    },
  };
}

/** Runs the command to completion. */
export async function runMyelin(args: string[], env: Record<string, string> = {}, command = sourceCommand) {
  const proc = Bun.spawn([...command, ...args], {
    env: { PATH: process.env.PATH ?? "/usr/bin:/bin", HOME: process.env.HOME ?? "/root", ...env },
    stdout: "pipe",
    stderr: "pipe",
  });
  const [stdout, stderr, code] = await Promise.all([new Response(proc.stdout).text(), new Response(proc.stderr).text(), proc.exited]);
  return { stdout, stderr, code };
}

/** One listener on an ephemeral port of 127.0.0.1 with the given resources. */
export const listenerEnv = (...resources: string[][]) =>
  JSON.stringify(resources.map((names) => ({ port: 0, bind_addresses: ["127.0.0.1"], resources: [{ names }] })));

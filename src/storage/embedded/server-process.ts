// Running one PostgreSQL binary (initdb or the server) as a child of Myelin, with its output
// in Myelin's log: debug for ordinary lines, warn for WARNING/ERROR/FATAL/PANIC and the
// DETAIL/HINT lines that follow them.
import type { Subprocess } from "bun";
import type { Logger } from "../../log/logger.ts";
import type { RunAs } from "./os-user.ts";

/** Limit: lines of output kept to explain a failed start in the error message. */
const KEPT_LINES = 30;
/** Limit: after the process ends, how long to wait for the rest of its output (children may hold the pipe). */
const OUTPUT_DRAIN_MS = 1_000;

const SEVERITY = /\b(DEBUG\d|LOG|INFO|NOTICE|WARNING|ERROR|FATAL|PANIC|DETAIL|HINT|CONTEXT|STATEMENT):\s/;
const LOUD = new Set(["WARNING", "ERROR", "FATAL", "PANIC"]);
const FOLLOWER = new Set(["DETAIL", "HINT", "CONTEXT", "STATEMENT"]);

export interface ChildOptions {
  cmd: string[];
  cwd: string;
  runAs: RunAs | undefined;
  log: Logger;
  /**
   * Linux: ask the kernel to send this signal to the child when Myelin dies, even by kill -9
   * (PR_SET_PDEATHSIG through util-linux `setpriv`, used only when it is installed).
   */
  parentDeathSignal?: "SIGINT";
}

export interface Child {
  proc: Subprocess<"pipe", "pipe", "pipe">;
  /** The last lines of output, for error messages. */
  tail(): string;
  /** Resolves with the exit code (or the signal's name) once the process has ended. */
  exited: Promise<number | string>;
}

/** A clean environment: no PG* variables of the caller leak into the server. */
function childEnv(runAs: RunAs | undefined): Record<string, string> {
  const env: Record<string, string> = { PATH: process.env.PATH ?? "/usr/bin:/bin", LC_ALL: "C", LANG: "C" };
  if (process.env.TZ) env.TZ = process.env.TZ;
  if (runAs) env.USER = env.LOGNAME = runAs.name;
  return env;
}

async function pump(stream: ReadableStream<Uint8Array>, onLine: (line: string) => void): Promise<void> {
  const decoder = new TextDecoder();
  let buffered = "";
  for await (const chunk of stream) {
    buffered += decoder.decode(chunk, { stream: true });
    const lines = buffered.split("\n");
    buffered = lines.pop() ?? "";
    for (const line of lines) if (line.trim()) onLine(line);
  }
  if (buffered.trim()) onLine(buffered);
}

/** Whether `promise` settled within `ms`; the timer is cleared so it never keeps Bun alive. */
export async function settlesWithin(promise: Promise<unknown>, ms: number): Promise<boolean> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<boolean>((done) => (timer = setTimeout(done, ms, false)));
  try {
    return await Promise.race([promise.then(() => true, () => true), timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/** The command line, wrapped in setpriv for a parent-death signal or a change of user with a capability. */
function commandLine(options: ChildOptions): { cmd: string[]; switchesUser: boolean } {
  const setpriv = process.platform === "linux" ? Bun.which("setpriv") : null;
  const { runAs } = options;
  const flags: string[] = [];
  if (setpriv && options.parentDeathSignal) flags.push("--pdeathsig", options.parentDeathSignal.slice(3));
  const switchesUser = Boolean(setpriv && runAs?.searchAnyFolder);
  if (switchesUser && runAs) {
    flags.push(`--reuid=${runAs.uid}`, `--regid=${runAs.gid}`, "--clear-groups", "--inh-caps=+dac_read_search", "--ambient-caps=+dac_read_search");
  }
  return { cmd: setpriv && flags.length > 0 ? [setpriv, ...flags, "--", ...options.cmd] : options.cmd, switchesUser };
}

export function spawnChild(options: ChildOptions): Child {
  const { cmd, switchesUser } = commandLine(options);
  const proc = Bun.spawn({
    cmd,
    cwd: options.cwd,
    env: childEnv(options.runAs),
    ...(options.runAs && !switchesUser ? { uid: options.runAs.uid, gid: options.runAs.gid } : {}),
    // Its own process group: a Ctrl-C on Myelin's terminal reaches Myelin, which then stops
    // the server after closing its connections, instead of the server stopping under it.
    detached: true,
    // A pipe Myelin holds: the server does not read it, but it ends with Myelin.
    stdin: "pipe",
    stdout: "pipe",
    stderr: "pipe",
  });
  const kept: string[] = [];
  let loud = false;
  const onLine = (line: string) => {
    kept.push(line);
    if (kept.length > KEPT_LINES) kept.shift();
    const severity = SEVERITY.exec(line)?.[1];
    if (severity && !FOLLOWER.has(severity)) loud = LOUD.has(severity);
    if (loud) options.log.warn(line);
    else options.log.debug(line);
  };
  const output = Promise.all([pump(proc.stdout, onLine), pump(proc.stderr, onLine)]).catch(() => {});
  const exited = proc.exited.then(async (code) => {
    await settlesWithin(output, OUTPUT_DRAIN_MS);
    return proc.signalCode ?? code;
  });
  return { proc, tail: () => kept.join("\n"), exited };
}

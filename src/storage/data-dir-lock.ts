// One Myelin per data folder. The lock is flock(2) on `<dataDirectory>/myelin.lock`, held
// open for the life of the process: the kernel drops it when the process ends in any way,
// kill -9 included, so a crash never leaves a lock to clean up. The file holds the pid of
// the holder, for the error message only. The file is opened with O_CLOEXEC so the child
// processes (PostgreSQL) never inherit it: an orphaned server must not keep the lock.
import { dlopen, FFIType, read } from "bun:ffi";
import { closeSync, ftruncateSync, mkdirSync, readFileSync, writeFileSync, writeSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { DataDirectoryInUseError, StorageError } from "./errors.ts";

export const LOCK_FILE = "myelin.lock";

// Same values on Linux and macOS (sys/file.h, fcntl.h) unless noted.
const LOCK_EX = 2;
const LOCK_NB = 4;
const O_RDWR = 2;
const O_CLOEXEC = process.platform === "darwin" ? 0x1000000 : 0o2000000;
const EWOULDBLOCK = process.platform === "darwin" ? 35 : 11;

type Libc = ReturnType<typeof openLibc>;
let libc: Libc | undefined;

function openLibc() {
  const darwin = process.platform === "darwin";
  const errnoLocation = darwin ? "__error" : "__errno_location";
  const lib = dlopen(darwin ? "/usr/lib/libSystem.B.dylib" : "libc.so.6", {
    // open(path, flags): without O_CREAT the variadic mode argument is absent, so this
    // fixed-arity binding is also correct on the Apple arm64 calling convention.
    open: { args: [FFIType.cstring, FFIType.i32], returns: FFIType.i32 },
    flock: { args: [FFIType.i32, FFIType.i32], returns: FFIType.i32 },
    [errnoLocation]: { args: [], returns: FFIType.ptr },
  });
  const symbols = lib.symbols;
  return {
    open: (path: string, flags: number): number => symbols.open(Buffer.from(path + "\0"), flags),
    flock: (fd: number, operation: number): number => symbols.flock(fd, operation),
    errno: (): number => {
      const pointer = symbols[errnoLocation]?.();
      return pointer ? read.i32(pointer) : -1;
    },
  };
}

/** Folders whose lock this process holds (resolved paths). */
const heldHere = new Set<string>();

/** Whether this process holds the lock of `dataDirectory` (the embedded server checks it). */
export function holdsDataDirectoryLock(dataDirectory: string): boolean {
  return heldHere.has(resolve(dataDirectory));
}

export interface DataDirectoryLock {
  /** Unlocks and closes the file (the file stays; a later holder reuses it). Idempotent. */
  release(): void;
}

/**
 * Takes the data folder for this process, or throws DataDirectoryInUseError (one-line message
 * naming the folder and the holder's pid). Creates the folder (0700) if missing.
 */
export function acquireDataDirectoryLock(dataDirectory: string): DataDirectoryLock {
  const folder = resolve(dataDirectory);
  const path = join(folder, LOCK_FILE);
  mkdirSync(dirname(folder), { recursive: true }); // parents get the usual mode,
  mkdirSync(folder, { recursive: true, mode: 0o700 }); // the data folder stays private
  writeFileSync(path, "", { flag: "a", mode: 0o600 }); // create it if missing, keep its content
  libc ??= openLibc();
  const fd = libc.open(path, O_RDWR | O_CLOEXEC);
  if (fd < 0) throw new StorageError(`cannot open the lock file ${path} (errno ${libc.errno()})`);
  if (libc.flock(fd, LOCK_EX | LOCK_NB) !== 0) {
    const errno = libc.errno();
    closeSync(fd);
    if (errno !== EWOULDBLOCK) throw new StorageError(`cannot lock ${path} (errno ${errno})`);
    const pid = Number.parseInt(readFileSync(path, "utf8"), 10);
    throw new DataDirectoryInUseError(folder, Number.isInteger(pid) ? pid : undefined);
  }
  ftruncateSync(fd, 0);
  writeSync(fd, `${process.pid}\n`, 0);
  heldHere.add(folder);
  let held = true;
  return {
    release() {
      if (!held) return;
      held = false;
      heldHere.delete(folder);
      ftruncateSync(fd, 0);
      closeSync(fd); // closing the last descriptor of the open file releases the flock
    },
  };
}

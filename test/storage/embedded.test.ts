import { afterAll, describe, expect, test } from "bun:test";
import { existsSync, lstatSync, mkdirSync, readlinkSync, rmSync, statSync, writeFileSync } from "node:fs";
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import postgres from "postgres";
import { acquireDataDirectoryLock } from "../../src/storage/data-dir-lock.ts";
import { DataDirectoryInUseError, EmbeddedPostgresError } from "../../src/storage/errors.ts";
import { isRunning } from "../../src/storage/embedded/leftovers.ts";
import { postgresRunAs } from "../../src/storage/embedded/os-user.ts";
import {
  hydrateSymlinks,
  resolveDevBinaries,
  startEmbeddedPostgres,
  type EmbeddedPostgres,
} from "../../src/storage/embedded-postgres.ts";
import { makeTempFolder, testLog } from "../helpers/db.ts";

const root = makeTempFolder("myelin-embedded-");
afterAll(() => rmSync(root, { recursive: true, force: true }));
const binaries = resolveDevBinaries();
/** Shared by the tests below that need an existing cluster (each also works on a fresh folder): one initdb, not three. */
const shared = join(root, "shared");
const start = (dataDirectory: string) => startEmbeddedPostgres({ dataDirectory, binaries, log: testLog });

async function query<T>(server: EmbeddedPostgres, run: (sql: postgres.Sql) => Promise<T>): Promise<T> {
  const sql = postgres({ ...server.connection, max: 1, onnotice: () => {} });
  try {
    return await run(sql);
  } finally {
    await sql.end();
  }
}

async function waitReady(clusterDir: string, pid: number): Promise<void> {
  for (let i = 0; i < 500; i++) {
    const lines = (await readFile(join(clusterDir, "postmaster.pid"), "utf8").catch(() => "")).split("\n");
    if (lines[0] === String(pid) && lines[7]?.trim() === "ready") return;
    await Bun.sleep(10);
  }
  throw new Error("postgres did not become ready");
}

describe("startEmbeddedPostgres", () => {
  test("creates a cluster, and a restart keeps the data", async () => {
    const dataDirectory = shared;
    const first = await start(dataDirectory);
    expect(first.connection).toEqual({ host: join(dataDirectory, "postgres"), port: 5432, user: "myelin", database: "myelin" });
    const settings = await query(first, async (sql) => {
      await sql`create table if not exists kept (value text)`;
      await sql`delete from kept`;
      await sql`insert into kept values ('before restart')`;
      const [row] = await sql`select current_setting('data_checksums') as checksums, current_setting('fsync') as fsync,
        current_setting('listen_addresses') as listen, current_setting('server_encoding') as encoding,
        (select datcollate from pg_database where datname = current_database()) as collate`;
      return { ...row };
    });
    expect(settings).toEqual({ checksums: "on", fsync: "on", listen: "", encoding: "UTF8", collate: "C" });
    await first.stop();
    await first.stop(); // idempotent
    expect(await isRunning(first.pid)).toBe(false);
    expect(existsSync(join(dataDirectory, "postgres", "postmaster.pid"))).toBe(false);

    const began = performance.now();
    const second = await start(dataDirectory);
    const restartMs = performance.now() - began;
    expect(restartMs).toBeLessThan(5_000); // no initdb this time (typically well under 0.5 s)
    expect(await query(second, (sql) => sql`select value from kept`)).toEqual([{ value: "before restart" }] as never);
    await second.stop();
  });

  test("falls back to TCP on 127.0.0.1 with a password when the socket path is too long", async () => {
    const dataDirectory = join(root, "x".repeat(60), "y".repeat(40));
    const server = await start(dataDirectory);
    try {
      expect(server.connection.host).toBe("127.0.0.1");
      expect(server.connection.password?.length).toBeGreaterThan(20);
      expect(statSync(join(dataDirectory, "postgres.password")).mode & 0o777).toBe(0o600);
      expect(await query(server, (sql) => sql`select current_setting('listen_addresses') as listen`)).toEqual([
        { listen: "127.0.0.1" },
      ] as never);
      const wrong = postgres({ ...server.connection, password: "wrong", max: 1 });
      await expect(wrong`select 1`).rejects.toThrow(/password authentication failed/);
      await wrong.end();
    } finally {
      await server.stop();
    }
  });

  test("removes a stale postmaster.pid naming a dead or unrelated process", async () => {
    const dataDirectory = shared;
    await (await start(dataDirectory)).stop();
    const pidFile = join(dataDirectory, "postgres", "postmaster.pid");
    const unrelated = Bun.spawn({ cmd: ["sleep", "30"] });
    const exited = Bun.spawn({ cmd: ["true"] });
    await exited.exited;
    try {
      for (const pid of [exited.pid, unrelated.pid]) {
        writeFileSync(pidFile, `${pid}\n${join(dataDirectory, "postgres")}\n0\n5432\n\n\n0 0\nready   \n`);
        await (await start(dataDirectory)).stop();
      }
      expect(await isRunning(unrelated.pid)).toBe(true); // left alone
    } finally {
      unrelated.kill();
    }
  });

  test("shuts down an orphaned server still running on the cluster, then starts", async () => {
    const dataDirectory = shared;
    const clusterDir = join(dataDirectory, "postgres");
    const first = await start(dataDirectory);
    await query(first, (sql) => sql`create table if not exists survived as select 1 as x`);
    await first.stop();
    // An "orphan": a server on the cluster that this process did not start through the API.
    const runAs = postgresRunAs(testLog);
    // Where start() ran it from: the package, or its mirror when the postgres user cannot reach the checkout.
    const mirrored = join(dataDirectory, "postgres-bin", "native");
    const nativeDir = existsSync(join(mirrored, "bin", "postgres")) ? mirrored : binaries.dir;
    const orphan = Bun.spawn({
      cmd: [join(nativeDir, "bin/postgres"), "-D", clusterDir, "-c", "listen_addresses=", "-c", `unix_socket_directories=${clusterDir}`],
      ...(runAs ? { uid: runAs.uid, gid: runAs.gid } : {}),
      stdout: "ignore",
      stderr: "ignore",
    });
    await waitReady(clusterDir, orphan.pid);
    const server = await start(dataDirectory);
    try {
      expect(await orphan.exited).toBe(0); // a clean (fast) shutdown, not a kill
      expect(server.pid).not.toBe(orphan.pid);
      expect(await query(server, (sql) => sql`select x from survived`)).toEqual([{ x: 1 }] as never);
    } finally {
      await server.stop();
    }
  });

  test.if(process.getuid?.() === 0 && Bun.which("setpriv") !== null)(
    "as root, reaches a data folder below a private folder without opening that folder up",
    async () => {
      const closed = join(root, "closed");
      mkdirSync(closed, { mode: 0o700 });
      const server = await start(join(closed, "data"));
      try {
        expect(await query(server, (sql) => sql`select 1 as one`)).toEqual([{ one: 1 }] as never);
      } finally {
        await server.stop();
      }
      expect(statSync(closed).mode & 0o777).toBe(0o700);
    },
  );
});

describe("binaries", () => {
  test("resolveDevBinaries finds the platform package's native folder", () => {
    expect(existsSync(join(binaries.dir, "bin", "postgres"))).toBe(true);
    expect(existsSync(join(binaries.dir, "pg-symlinks.json"))).toBe(true);
  });

  test("hydrateSymlinks recreates the listed links, idempotently, and refuses paths leaving the folder", async () => {
    const native = join(root, "native");
    mkdirSync(join(native, "lib"), { recursive: true });
    writeFileSync(join(native, "lib", "libx.so.1.2"), "");
    writeFileSync(
      join(native, "pg-symlinks.json"),
      JSON.stringify([
        { source: "native/lib/libx.so.1.2", target: "native/lib/libx.so.1" },
        { source: "native/lib/libx.so.1.2", target: "native/lib/libx.so" },
      ]),
    );
    await hydrateSymlinks(native);
    await hydrateSymlinks(native);
    expect(lstatSync(join(native, "lib", "libx.so")).isSymbolicLink()).toBe(true);
    expect(readlinkSync(join(native, "lib", "libx.so.1"))).toBe("libx.so.1.2");
    writeFileSync(join(native, "pg-symlinks.json"), JSON.stringify([{ source: "native/lib/libx.so.1.2", target: "../escape" }]));
    await expect(hydrateSymlinks(native)).rejects.toThrow(/names a path outside it: \.\.\/escape/);
  });
});

test("holds the data folder's lock while running, unless the caller holds it; one server per folder", async () => {
  const dataDirectory = shared;
  const server = await start(dataDirectory);
  try {
    expect(() => acquireDataDirectoryLock(dataDirectory)).toThrow(DataDirectoryInUseError);
    await expect(start(dataDirectory)).rejects.toThrow(`an embedded PostgreSQL already runs on ${dataDirectory} in this process`);
  } finally {
    await server.stop();
  }
  const lock = acquireDataDirectoryLock(dataDirectory);
  try {
    await (await start(dataDirectory)).stop(); // uses the caller's lock
    expect(() => acquireDataDirectoryLock(dataDirectory)).toThrow(DataDirectoryInUseError); // still held
  } finally {
    lock.release();
  }
});

test("refuses a cluster made by another PostgreSQL major version, naming both", async () => {
  const dataDirectory = join(root, "old-major");
  mkdirSync(join(dataDirectory, "postgres"), { recursive: true });
  writeFileSync(join(dataDirectory, "postgres", "PG_VERSION"), "9\n");
  await expect(start(dataDirectory)).rejects.toThrow(/was made by PostgreSQL 9 but this Myelin ships PostgreSQL \d+: /);
});

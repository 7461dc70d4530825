// Databases for tests. One PostgreSQL server per test run: the embedded one, started lazily
// in a temp folder on first use (fsync off: a throwaway cluster), or the server named by
// TEST_DATABASE_URL (e.g. Debian's PostgreSQL 15 in CI). On it, one template database with
// every migration applied, made once per run; each createTestDatabase() copies it
// (CREATE DATABASE ... TEMPLATE), so a test file gets a fresh, migrated database quickly.
// test/helpers/preload.ts stops the server after the last test file (a global afterAll).
import { chmodSync, mkdtempSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { drizzle } from "drizzle-orm/postgres-js";
import postgres, { type Options, type Sql } from "postgres";
import { createLogger, silentLogger, type LogLevel } from "../../src/log/logger.ts";
import type { Db } from "../../src/storage/db.ts";
import { resolveDevBinaries, startEmbeddedPostgres, type PostgresConnection } from "../../src/storage/embedded-postgres.ts";
import { applyMigrations, loadMigrationsFromDirectory } from "../../src/storage/migrate.ts";
import * as schema from "../../src/storage/schema/index.ts";

/** TEST_LOG=debug shows the embedded server's output. */
export const testLog = process.env.TEST_LOG ? createLogger({ level: process.env.TEST_LOG as LogLevel }) : silentLogger;
/** Limit: connections per test database's pool (tests rarely need more; the server allows 100). */
const TEST_POOL_MAX = 4;
/** Speed over durability for the shared throwaway cluster (the crash tests start their own). */
const THROWAWAY_SETTINGS = { fsync: "off", synchronous_commit: "off", full_page_writes: "off" };

interface TestServer {
  /** postgres.js options for a database on this server. */
  options(database: string): Options<{}>;
  /** postgres://... for a database, when the server listens on TCP (external servers). */
  url(database: string): string | undefined;
  admin: Sql;
  template: string;
  stop(): Promise<void>;
}

/**
 * A new folder under the system temp folder for data folders of embedded servers. mkdtemp
 * makes it 0700; it gets o+x so that, when tests run as root, the `postgres` system user
 * can reach the data folders inside (see src/storage/embedded/os-user.ts).
 */
export function makeTempFolder(prefix: string): string {
  const folder = mkdtempSync(join(tmpdir(), prefix));
  chmodSync(folder, 0o711);
  return folder;
}

/** Unique per run, so parallel runs against one external server never collide. */
const runId = `${process.pid}_${Math.random().toString(36).slice(2, 6)}`;
let server: Promise<TestServer> | undefined;
let counter = 0;

async function startServer(): Promise<TestServer> {
  const externalUrl = process.env.TEST_DATABASE_URL;
  let options: (database: string) => Options<{}>;
  let url: (database: string) => string | undefined;
  let stopServer: () => Promise<void>;
  if (externalUrl) {
    options = (database) => ({ ...parseUrl(externalUrl), database });
    url = (database) => Object.assign(new URL(externalUrl), { pathname: `/${database}` }).toString();
    stopServer = async () => {};
  } else {
    const dir = await mkdtemp(join(tmpdir(), "myelin-test-"));
    const embedded = await startEmbeddedPostgres({
      dataDirectory: dir,
      binaries: resolveDevBinaries(),
      log: testLog,
      settings: THROWAWAY_SETTINGS,
      unsafeSkipInitSync: true,
    });
    options = (database) => ({ ...embedded.connection, database });
    url = () => undefined;
    stopServer = async () => {
      await embedded.stop();
      await rm(dir, { recursive: true, force: true });
    };
  }
  const quiet = { onnotice: () => {}, fetch_types: false } satisfies Options<{}>;
  const admin = postgres({ ...options("postgres"), ...quiet, max: 1 });
  const template = `myelin_template_${runId}`;
  await admin.unsafe(`create database ${template}`);
  const migrating = postgres({ ...options(template), ...quiet, max: 1 });
  await applyMigrations(migrating, await loadMigrationsFromDirectory(join(import.meta.dir, "../../migrations")), testLog);
  await migrating.end();
  return {
    options,
    url,
    admin,
    template,
    stop: async () => {
      await admin.unsafe(`drop database if exists ${template}`);
      await admin.end();
      await stopServer();
    },
  };
}

function parseUrl(url: string): Options<{}> {
  const parsed = new URL(url);
  return {
    host: decodeURIComponent(parsed.hostname),
    port: Number(parsed.port || 5432),
    user: decodeURIComponent(parsed.username),
    password: decodeURIComponent(parsed.password),
  };
}

export interface TestDatabase {
  name: string;
  sql: Sql;
  db: Db;
  /** postgres.js options reaching this database (Unix socket for the embedded server). */
  connection: PostgresConnection;
  /** postgres://... when the server listens on TCP (TEST_DATABASE_URL), else undefined. */
  url: string | undefined;
  /** Ends the pool and drops the database. */
  close(): Promise<void>;
}

/** A fresh database: a copy of the migrated template, or empty with `{ migrated: false }`. */
export async function createTestDatabase(opts: { migrated?: boolean } = {}): Promise<TestDatabase> {
  const testServer = await (server ??= startServer());
  const name = `myelin_test_${runId}_${++counter}`;
  const template = opts.migrated === false ? "template0" : testServer.template;
  await testServer.admin.unsafe(`create database ${name} template ${template}`);
  const connection = testServer.options(name) as PostgresConnection;
  const sql = postgres({ ...connection, max: TEST_POOL_MAX, onnotice: () => {} });
  return {
    name,
    sql,
    db: drizzle({ client: sql, schema }),
    connection,
    url: testServer.url(name),
    close: async () => {
      await sql.end({ timeout: 1 });
      await testServer.admin.unsafe(`drop database if exists ${name} with (force)`);
    },
  };
}

/** Stops the run's server, if one was started. Called by preload.ts after the last file. */
export async function stopTestServer(): Promise<void> {
  const started = server;
  server = undefined;
  const running = await started?.catch(() => undefined); // a failed start has nothing to stop
  await running?.stop();
}

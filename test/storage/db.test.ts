import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { rmSync } from "node:fs";
import { createServer } from "node:net";
import { join } from "node:path";
import { silentLogger } from "../../src/log/logger.ts";
import { acquireDataDirectoryLock } from "../../src/storage/data-dir-lock.ts";
import { createDb, type DatabaseConfig } from "../../src/storage/db.ts";
import { DatabaseConnectionError, ServerNameMismatchError } from "../../src/storage/errors.ts";
import { applyMigrations, loadMigrationsFromDirectory } from "../../src/storage/migrate.ts";
import { checkServerName } from "../../src/storage/repos/server-meta.ts";
import { serverMeta } from "../../src/storage/schema/index.ts";
import { createTestDatabase, makeTempFolder, testLog, type TestDatabase } from "../helpers/db.ts";

const migrations = await loadMigrationsFromDirectory(join(import.meta.dir, "../../migrations"));

/** A TCP port with nothing listening on it. */
async function closedPort(): Promise<number> {
  return new Promise((done) => {
    const server = createServer().listen(0, "127.0.0.1", () => {
      const { port } = server.address() as { port: number };
      server.close(() => done(port));
    });
  });
}

describe("createDb with name: postgres", () => {
  let target: TestDatabase;
  beforeAll(async () => (target = await createTestDatabase()));
  afterAll(() => target.close());

  test("connects with host/port/user/dbname (a Unix socket folder as host works too)", async () => {
    const { host, port, user, password, database } = target.connection;
    const config: DatabaseConfig = { name: "postgres", args: { host, port, user, password, dbname: database, cp_max: 2 } };
    const db = await createDb({ database: config, dataDirectory: "/nonexistent", log: silentLogger });
    expect(await db.db.select().from(serverMeta)).toEqual([]);
    await db.close();
    await db.close(); // idempotent
  });

  test.if(Boolean(process.env.TEST_DATABASE_URL))("connects with a url (TEST_DATABASE_URL)", async () => {
    const db = await createDb({ database: { name: "postgres", args: { url: target.url, cp_max: 2 } }, dataDirectory: "/nonexistent", log: silentLogger });
    const [row] = await db.sql<{ version: number }[]>`select current_setting('server_version_num')::int as version`;
    expect(row!.version).toBeGreaterThanOrEqual(150000);
    await db.close();
  });

  test("an unreachable server gives one clear line, without the password", async () => {
    const port = await closedPort();
    const url = `postgres://someone:secret@127.0.0.1:${port}/somedb`;
    const error = await createDb({ database: { name: "postgres", args: { url, cp_max: 1 } }, dataDirectory: "/nonexistent", log: silentLogger }).catch(
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(DatabaseConnectionError);
    const message = (error as Error).message;
    expect(message).toStartWith(`cannot connect to postgres://someone@127.0.0.1:${port}/somedb: `);
    expect(message).toContain("ECONNREFUSED");
    expect(message).not.toContain("secret");
    expect(message).not.toContain("\n");
  });

  test("a wrong database name is reported as such", async () => {
    const { host, port, user, password } = target.connection;
    const config: DatabaseConfig = { name: "postgres", args: { host, port, user, password, dbname: "no_such_db", cp_max: 1 } };
    await expect(createDb({ database: config, dataDirectory: "/nonexistent", log: silentLogger })).rejects.toThrow(
      /^cannot connect to .*\/no_such_db: database "no_such_db" does not exist \(3D000\)$/,
    );
  });
});

test("the CLI's sequence on an embedded database: lock, createDb, migrate, server_name; again after close", async () => {
  const root = makeTempFolder("myelin-db-");
  const dataDirectory = join(root, "data");
  const database: DatabaseConfig = { name: "embedded", args: { cp_max: 3 } };
  try {
    for (const serverName of ["a.example", "a.example"]) {
      const lock = acquireDataDirectoryLock(dataDirectory);
      const db = await createDb({ database, dataDirectory, log: testLog });
      await applyMigrations(db.sql, migrations, testLog);
      await checkServerName(db.db, serverName);
      await db.close();
      lock.release();
    }
    const lock = acquireDataDirectoryLock(dataDirectory);
    const db = await createDb({ database, dataDirectory, log: testLog });
    expect(await applyMigrations(db.sql, migrations, testLog)).toEqual([]);
    await expect(checkServerName(db.db, "b.example")).rejects.toBeInstanceOf(ServerNameMismatchError);
    await db.close();
    lock.release();
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});

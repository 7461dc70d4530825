import { afterEach, describe, expect, test } from "bun:test";
import { join } from "node:path";
import postgres from "postgres";
import { silentLogger } from "../../src/log/logger.ts";
import { MigrationError } from "../../src/storage/errors.ts";
import { applyMigrations, loadMigrationsFromDirectory, sha256, splitStatements, type Migration } from "../../src/storage/migrate.ts";
import { createTestDatabase, type TestDatabase } from "../helpers/db.ts";

const MIGRATIONS_DIR = join(import.meta.dir, "../../migrations");
const a: Migration = { tag: "0000_a", sql: "create table a (x int);\n--> statement-breakpoint\ninsert into a values (1);" };
const b: Migration = { tag: "0001_b", sql: "create table b (y int);" };
const c: Migration = { tag: "0002_c", sql: "create table c (z int);" };

let open: TestDatabase[] = [];
async function emptyDatabase(): Promise<TestDatabase> {
  const database = await createTestDatabase({ migrated: false });
  open.push(database);
  return database;
}
afterEach(async () => {
  await Promise.all(open.map((database) => database.close()));
  open = [];
});

async function tables(database: TestDatabase): Promise<string[]> {
  const rows = await database.sql<{ name: string }[]>`
    select table_name as name from information_schema.tables where table_schema = 'public' order by 1`;
  return rows.map((row) => row.name);
}

describe("applyMigrations", () => {
  test("applies the repository's migrations to a fresh database and records them", async () => {
    const database = await emptyDatabase();
    const migrations = await loadMigrationsFromDirectory(MIGRATIONS_DIR);
    expect(migrations[0]?.tag).toBe("0000_init");
    expect(await applyMigrations(database.sql, migrations, silentLogger)).toEqual(migrations.map((m) => m.tag));
    expect(await tables(database)).toContain("server_meta");
    const recorded = await database.sql`select tag, sha256 from myelin_migrations order by tag`;
    expect(recorded.map((row) => ({ ...row }))).toEqual(migrations.map((m) => ({ tag: m.tag, sha256: sha256(m.sql) })));
  });

  test("is idempotent: a second run applies nothing", async () => {
    const database = await emptyDatabase();
    expect(await applyMigrations(database.sql, [a, b], silentLogger)).toEqual(["0000_a", "0001_b"]);
    expect(await applyMigrations(database.sql, [a, b], silentLogger)).toEqual([]);
    expect(await applyMigrations(database.sql, [a, b, c], silentLogger)).toEqual(["0002_c"]);
    expect((await database.sql`select count(*)::int as n from a`)[0]?.n).toBe(1); // a ran once
  });

  test("concurrent runs on separate connections apply each migration exactly once", async () => {
    const database = await emptyDatabase();
    // The sleep keeps the first transaction open, so the others really wait on the lock.
    const slow: Migration = { tag: "0000_slow", sql: "create table s (x int);\n--> statement-breakpoint\nselect pg_sleep(0.3);" };
    const pools = Array.from({ length: 5 }, () => postgres({ ...database.connection, max: 1, onnotice: () => {} }));
    try {
      const results = await Promise.all(pools.map((sql) => applyMigrations(sql, [slow, b], silentLogger)));
      expect(results.flat().sort()).toEqual(["0000_slow", "0001_b"]);
      expect(results.filter((applied) => applied.length > 0)).toHaveLength(1);
    } finally {
      await Promise.all(pools.map((sql) => sql.end()));
    }
  });

  test("refuses an applied migration whose text changed", async () => {
    const database = await emptyDatabase();
    await applyMigrations(database.sql, [a], silentLogger);
    const edited = { ...a, sql: a.sql + "\n-- edited" };
    const error = await applyMigrations(database.sql, [edited, b], silentLogger).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(MigrationError);
    expect((error as Error).message).toContain(`migration "0000_a" was changed after it was applied`);
    expect(await tables(database)).not.toContain("b"); // nothing else ran
  });

  test("refuses a database migrated by a newer version", async () => {
    const database = await emptyDatabase();
    await applyMigrations(database.sql, [a, b], silentLogger);
    await expect(applyMigrations(database.sql, [a], silentLogger)).rejects.toThrow(/has migration "0001_b", which this Myelin does not know/);
  });

  test("refuses a pending migration sorted before an applied one", async () => {
    const database = await emptyDatabase();
    await applyMigrations(database.sql, [a, c], silentLogger);
    await expect(applyMigrations(database.sql, [a, b, c], silentLogger)).rejects.toThrow(/"0001_b" is pending but the later "0002_c"/);
  });

  test("a failing migration leaves nothing applied (one transaction)", async () => {
    const database = await emptyDatabase();
    const broken: Migration = { tag: "0001_broken", sql: "create table ok (x int);\n--> statement-breakpoint\nselect * from missing;" };
    const error = await applyMigrations(database.sql, [a, broken], silentLogger).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(MigrationError);
    expect((error as Error).message).toBe(`migration "0001_broken" failed, nothing was applied: relation "missing" does not exist`);
    expect(await tables(database)).toEqual([]);
  });
});

test("splitStatements splits on drizzle's breakpoints and drops empty parts", () => {
  expect(splitStatements("a;\n--> statement-breakpoint\nb;\n--> statement-breakpoint\n")).toEqual(["a;", "b;"]);
});

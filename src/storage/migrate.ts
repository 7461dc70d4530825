// Myelin's migrator for the SQL files drizzle-kit generates into migrations/.
// - All pending migrations run in ONE transaction: a failure leaves the database as it was.
// - pg_advisory_xact_lock serialises concurrent runs (two Myelins, or a `migrate` beside a
//   starting server); the second waits, then finds nothing left to do.
// - myelin_migrations records each applied tag with the sha256 of its text. Migrations are
//   append-only: an applied migration whose text changed, an applied tag this build does not
//   know (a newer Myelin migrated the database), or a pending one sorted before an applied
//   one, all refuse the start instead of guessing.
// Statements must be transactional (no CREATE INDEX CONCURRENTLY, no VACUUM).
// Independent of the filesystem: the single binary passes migrations embedded in it.
import { createHash } from "node:crypto";
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import type { Sql } from "postgres";
import type { Logger } from "../log/logger.ts";
import { MigrationError } from "./errors.ts";

export interface Migration {
  /** drizzle-kit's name for it, e.g. "0000_init" (the file is `<tag>.sql`). */
  tag: string;
  sql: string;
}

/** The advisory lock key: "myelin" in ASCII, fixed forever so every version agrees on it. */
const LOCK_KEY = 0x6d79656c696en;
/** drizzle-kit's separator between statements of one migration file. */
const BREAKPOINT = "--> statement-breakpoint";

export function sha256(text: string): string {
  return createHash("sha256").update(text).digest("hex");
}

export function splitStatements(text: string): string[] {
  return text
    .split(BREAKPOINT)
    .map((statement) => statement.trim())
    .filter((statement) => statement.length > 0);
}

/** Applies what is pending, in order. Returns the tags applied now (empty when up to date). */
export async function applyMigrations(sql: Sql, migrations: Migration[], log: Logger): Promise<string[]> {
  return sql.begin(async (tx) => {
    await tx`select pg_advisory_xact_lock(${LOCK_KEY.toString()}::bigint)`;
    await tx`create table if not exists myelin_migrations (
      tag text primary key,
      sha256 text not null,
      applied_at timestamptz not null default now()
    )`;
    const applied = new Map<string, string>();
    for (const row of await tx<{ tag: string; sha256: string }[]>`select tag, sha256 from myelin_migrations`) {
      applied.set(row.tag, row.sha256);
    }
    const known = new Set(migrations.map((migration) => migration.tag));
    for (const tag of applied.keys()) {
      if (!known.has(tag)) {
        throw new MigrationError(
          `the database has migration "${tag}", which this Myelin does not know: it was migrated by a newer version; run that version (or newer)`,
        );
      }
    }
    const done: string[] = [];
    let pendingSeen: string | undefined;
    for (const migration of migrations) {
      const hash = sha256(migration.sql);
      const appliedHash = applied.get(migration.tag);
      if (appliedHash !== undefined) {
        if (appliedHash !== hash) {
          throw new MigrationError(
            `migration "${migration.tag}" was changed after it was applied to this database; applied migrations must never be edited (add a new one instead)`,
          );
        }
        if (pendingSeen) {
          throw new MigrationError(
            `migration "${pendingSeen}" is pending but the later "${migration.tag}" is already applied; migrations are append-only`,
          );
        }
        continue;
      }
      pendingSeen ??= migration.tag;
      try {
        for (const statement of splitStatements(migration.sql)) await tx.unsafe(statement);
      } catch (error) {
        throw new MigrationError(`migration "${migration.tag}" failed, nothing was applied: ${(error as Error).message}`);
      }
      await tx`insert into myelin_migrations (tag, sha256) values (${migration.tag}, ${hash})`;
      done.push(migration.tag);
    }
    if (done.length > 0) log.info("applied database migrations", { migrations: done });
    return done;
  });
}

interface Journal {
  entries: { idx: number; tag: string }[];
}

/** Reads drizzle-kit's output folder: `meta/_journal.json` gives the order, `<tag>.sql` the text. */
export async function loadMigrationsFromDirectory(dir: string): Promise<Migration[]> {
  let journal: Journal;
  try {
    journal = JSON.parse(await readFile(join(dir, "meta", "_journal.json"), "utf8")) as Journal;
  } catch (error) {
    throw new MigrationError(`cannot read the migrations journal in ${dir}: ${(error as Error).message}`);
  }
  const entries = [...journal.entries].sort((a, b) => a.idx - b.idx);
  return Promise.all(entries.map(async ({ tag }) => ({ tag, sql: await readFile(join(dir, `${tag}.sql`), "utf8") })));
}

// The database connection: postgres.js (a pool) and Drizzle over it, to the configured
// PostgreSQL server or to the embedded one Myelin starts in its data folder.
import { drizzle, type PostgresJsDatabase } from "drizzle-orm/postgres-js";
import postgres, { type Options, type Sql } from "postgres";
import type { Logger } from "../log/logger.ts";
import { resolveDevBinaries, type PostgresBinaries } from "./embedded/binaries.ts";
import { startEmbeddedPostgres, type EmbeddedPostgres, type EmbeddedPostgresOptions } from "./embedded-postgres.ts";
import { DatabaseConnectionError } from "./errors.ts";
import * as schema from "./schema/index.ts";

/** The oldest PostgreSQL Myelin supports (server_version_num). */
const MIN_SERVER_VERSION = 150000;
/** Limit: seconds to wait for a new connection before failing it (postgres.js default is 30). */
const CONNECT_TIMEOUT_S = 10;
/** Limit: seconds close() lets running queries finish before cutting connections. */
const CLOSE_TIMEOUT_S = 5;

/** Drizzle over postgres.js; `$client` is the driver, for the hot paths that pipeline raw statements. */
export type Db = PostgresJsDatabase<typeof schema> & { $client: Sql };

/** Synapse's `database` section shape (the config module's DatabaseConfig has the same one). */
export interface DatabaseConfig {
  name: "embedded" | "postgres";
  args: { url?: string; host?: string; port?: number; user?: string; password?: string; dbname?: string; cp_max: number };
}

export interface CreateDbOptions {
  database: DatabaseConfig;
  dataDirectory: string;
  /** Embedded only: the PostgreSQL `native/` folder; default: the npm package (resolveDevBinaries). */
  binaries?: PostgresBinaries;
  log: Logger;
  /** Embedded only, for tests: extra server settings and initdb without fsync. */
  embedded?: Pick<EmbeddedPostgresOptions, "settings" | "unsafeSkipInitSync">;
}

export interface Database {
  sql: Sql;
  db: Db;
  /** The embedded server, when Myelin runs one (e.g. to watch `embedded.exited`). */
  embedded?: EmbeddedPostgres;
  /** Ends the pool, then stops the embedded server. Idempotent. */
  close(): Promise<void>;
}

/** Where we connect, for messages: never includes the password. */
function describeTarget(args: DatabaseConfig["args"]): string {
  if (args.url) {
    try {
      const url = new URL(args.url);
      url.password = "";
      return url.toString();
    } catch {
      return "the configured database.args.url (not a valid URL)";
    }
  }
  return `${args.user ?? "(default user)"}@${args.host ?? "localhost"}:${args.port ?? 5432}/${args.dbname ?? "(default database)"}`;
}

/** One line, no stack: "connection refused", "password authentication failed for user x", ... */
export function describeConnectionError(error: unknown): string {
  if (error && typeof error === "object") {
    const { code, message } = error as { code?: string; message?: string };
    if (message) return code && !message.includes(code) ? `${message} (${code})` : message;
  }
  return String(error);
}

function openPool(database: DatabaseConfig, embedded: EmbeddedPostgres | undefined, log: Logger): Sql {
  const options: Options<{}> = {
    max: database.args.cp_max,
    connect_timeout: CONNECT_TIMEOUT_S,
    connection: { application_name: "myelin" },
    onnotice: (notice) => log.debug("postgres notice", { message: notice.message }),
  };
  if (embedded) return postgres({ ...options, ...embedded.connection });
  const { url, host, port, user, password, dbname } = database.args;
  if (url) return postgres(url, options);
  return postgres({ ...options, host, port, user, password, database: dbname });
}

export async function createDb(options: CreateDbOptions): Promise<Database> {
  const { database, log } = options;
  const embedded =
    database.name === "embedded"
      ? await startEmbeddedPostgres({
          dataDirectory: options.dataDirectory,
          binaries: options.binaries ?? resolveDevBinaries(),
          log,
          ...options.embedded,
        })
      : undefined;
  const target = embedded ? `the embedded PostgreSQL in ${embedded.clusterDirectory}` : describeTarget(database.args);
  const sql = openPool(database, embedded, log);
  try {
    const [row] = await sql<{ version: number }[]>`select current_setting('server_version_num')::int as version`;
    if (!row || row.version < MIN_SERVER_VERSION) {
      throw new DatabaseConnectionError(`${target} runs PostgreSQL ${row?.version ?? "?"}; Myelin needs 15 or newer`);
    }
  } catch (error) {
    await sql.end({ timeout: 0 }).catch(() => {});
    await embedded?.stop();
    if (error instanceof DatabaseConnectionError) throw error;
    throw new DatabaseConnectionError(`cannot connect to ${target}: ${describeConnectionError(error)}`);
  }
  log.debug("database connected", { target, pool: database.args.cp_max });
  let closing: Promise<void> | undefined;
  return {
    sql,
    db: drizzle({ client: sql, schema }),
    embedded,
    close: () =>
      (closing ??= (async () => {
        await sql.end({ timeout: CLOSE_TIMEOUT_S });
        await embedded?.stop();
      })()),
  };
}

// Failures of the storage layer that an operator can act on. Each message is complete in
// itself (what failed, where, what to do), so the CLI prints `error.message` as one line
// and exits non-zero: `if (error instanceof StorageError) { console.error(error.message); process.exit(1) }`.

export class StorageError extends Error {
  override name = "StorageError";
}

/** Another live Myelin process holds the data folder's lock. */
export class DataDirectoryInUseError extends StorageError {
  override name = "DataDirectoryInUseError";
  constructor(
    readonly dataDirectory: string,
    readonly pid: number | undefined,
  ) {
    super(`data folder ${dataDirectory} is in use by another Myelin process (pid ${pid ?? "unknown"})`);
  }
}

/** The embedded PostgreSQL could not be prepared, started or stopped. */
export class EmbeddedPostgresError extends StorageError {
  override name = "EmbeddedPostgresError";
}

/** The database server could not be reached, or refused us. */
export class DatabaseConnectionError extends StorageError {
  override name = "DatabaseConnectionError";
}

/** Migrations could not be applied, or the applied ones do not match this build. */
export class MigrationError extends StorageError {
  override name = "MigrationError";
}

/** The database was created for another server_name. */
export class ServerNameMismatchError extends StorageError {
  override name = "ServerNameMismatchError";
  constructor(
    readonly stored: string,
    readonly configured: string,
  ) {
    super(
      `this database belongs to server_name "${stored}" but the configuration says "${configured}"; ` +
        `a server_name cannot change once users and rooms exist: restore the old server_name or use a new database`,
    );
  }
}

/** An event write carried a transaction id (user, device, txn) that is already stored. */
export class DuplicateTransactionError extends Error {
  override name = "DuplicateTransactionError";
}

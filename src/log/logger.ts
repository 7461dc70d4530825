// Structured logs: one JSON object per line on stderr, filtered by level.
// A leaf module (imports nothing from src/) so every layer can take a Logger by injection.

export type LogLevel = "debug" | "info" | "warn" | "error";
export type LogFields = Record<string, unknown>;

const RANK: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40 };

export interface Logger {
  debug(msg: string, fields?: LogFields): void;
  info(msg: string, fields?: LogFields): void;
  warn(msg: string, fields?: LogFields): void;
  error(msg: string, fields?: LogFields): void;
  /** A logger that adds `fields` to every line. */
  child(fields: LogFields): Logger;
}

export interface LoggerOptions {
  level: LogLevel;
  /** Where lines go; stderr unless a test captures them. */
  write?: (line: string) => void;
  base?: LogFields;
}

function serializeError(value: unknown): unknown {
  if (value instanceof Error) return { name: value.name, message: value.message, stack: value.stack };
  return value;
}

export function createLogger(options: LoggerOptions): Logger {
  const minimum = RANK[options.level];
  const write = options.write ?? ((line: string) => process.stderr.write(line + "\n"));
  const base = options.base ?? {};
  const emit = (level: LogLevel, msg: string, fields?: LogFields) => {
    if (RANK[level] < minimum) return;
    const record: LogFields = { ts: new Date().toISOString(), level, msg, ...base };
    if (fields) for (const [key, value] of Object.entries(fields)) record[key] = serializeError(value);
    write(JSON.stringify(record));
  };
  return {
    debug: (msg, fields) => emit("debug", msg, fields),
    info: (msg, fields) => emit("info", msg, fields),
    warn: (msg, fields) => emit("warn", msg, fields),
    error: (msg, fields) => emit("error", msg, fields),
    child: (fields) => createLogger({ ...options, base: { ...base, ...fields } }),
  };
}

/** Discards everything; for tests that do not look at logs. */
export const silentLogger: Logger = createLogger({ level: "error", write: () => {} });

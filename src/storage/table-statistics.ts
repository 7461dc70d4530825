// Keeps the planner's statistics of fast-growing tables fresh. Autovacuum analyzes a table once
// 10% of it changed and only looks every minute; a new server's events table grows from empty
// far faster, and with stale statistics PostgreSQL reads a whole room and sorts it to answer a
// page of 100 (a bitmap scan planned for "1 row"). ANALYZE samples at most 30,000 rows per
// table, so running it after every tenth of growth costs little.
import type { Sql } from "postgres";

/** Limit: rows written before the first ANALYZE, and the least growth between two. */
const MIN_ROWS_BETWEEN = 1_000;

export interface TableStatistics {
  /** Counts written rows; runs ANALYZE in the background when the tables grew enough. */
  wrote(rows?: number): void;
}

export function createTableStatistics(sql: Sql, tables: readonly string[], onError: (error: unknown) => void): TableStatistics {
  let sinceLast = 0;
  let total = 0;
  let running = false;
  return {
    wrote(rows = 1) {
      sinceLast += rows;
      total += rows;
      if (running || sinceLast < Math.max(MIN_ROWS_BETWEEN, total / 10)) return;
      running = true;
      sinceLast = 0;
      sql
        .unsafe(`analyze ${tables.join(", ")}`)
        .catch(onError)
        .finally(() => {
          running = false;
        });
    },
  };
}

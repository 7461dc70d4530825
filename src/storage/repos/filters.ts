// The filters table (schema/filters.ts).
import { and, eq, sql } from "drizzle-orm";
import type { Db } from "../db.ts";
import { filters } from "../schema/filters.ts";

export function createFiltersRepo(db: Db) {
  return {
    /** Stores a filter; returns its id. */
    async insert(userId: string, definition: Record<string, unknown>): Promise<number> {
      const [row] = await db.insert(filters).values({ userId, definition: sql`${JSON.stringify(definition)}::jsonb` }).returning({ id: filters.id });
      return row!.id;
    },

    /** The user's filter with this id, or null (unknown id, or someone else's). */
    async get(userId: string, id: number): Promise<Record<string, unknown> | null> {
      const [row] = await db.select({ definition: filters.definition }).from(filters).where(and(eq(filters.userId, userId), eq(filters.id, id)));
      return row?.definition ?? null;
    },
  };
}

export type FiltersRepo = ReturnType<typeof createFiltersRepo>;

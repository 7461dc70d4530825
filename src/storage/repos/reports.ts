// The content_reports table (schema/reports.ts): reports of events, rooms and users for the
// server's administrators.
import { desc } from "drizzle-orm";
import type { Db } from "../db.ts";
import { contentReports } from "../schema/reports.ts";

export type ContentReport = typeof contentReports.$inferSelect;
export type NewContentReport = Omit<typeof contentReports.$inferInsert, "id">;

export function createReportsRepo(db: Db) {
  return {
    /** Stores one report; returns its id. */
    async add(report: NewContentReport): Promise<number> {
      const [row] = await db.insert(contentReports).values(report).returning({ id: contentReports.id });
      return row!.id;
    },

    /** The newest reports first (for an admin API and tests). */
    async recent(limit: number): Promise<ContentReport[]> {
      return db.select().from(contentReports).orderBy(desc(contentReports.id)).limit(limit);
    },
  };
}

export type ReportsRepo = ReturnType<typeof createReportsRepo>;

// Synapse's event report admin API over the reports users made (./reports.ts): list, show, delete.
// shared/reference/synapse-admin-api/event_reports.md
import { ADMIN_PAGE_LIMIT } from "../auth/admin-users.ts";
import { MatrixError, notFound } from "../protocol/matrix-error.ts";
import type { AdminRoomsRepo, EventReportQuery, EventReportRow } from "../storage/repos/admin-rooms.ts";

const reportJson = (row: EventReportRow) => ({
  id: row.id, received_ts: row.receivedTs, room_id: row.roomId, name: row.name, event_id: row.eventId, user_id: row.userId,
  reason: row.reason, score: row.score, sender: row.sender, canonical_alias: row.canonicalAlias,
});

/** The report id of a path: Synapse's 400 for anything but a non-negative integer. */
function reportId(text: string): number {
  const id = /^\d{1,15}$/.test(text) ? Number(text) : NaN;
  if (!Number.isSafeInteger(id)) throw new MatrixError(400, "M_INVALID_PARAM", "The report_id parameter must be a string representing a positive integer.");
  return id;
}

export function createAdminReports(deps: { repo: Pick<AdminRoomsRepo, "eventReports" | "eventReport" | "deleteEventReport"> }) {
  const { repo } = deps;
  return {
    /** GET /_synapse/admin/v1/event_reports */
    async list(query: EventReportQuery) {
      const { reports, total } = await repo.eventReports({ ...query, limit: Math.min(query.limit, ADMIN_PAGE_LIMIT) });
      const next = query.from + reports.length;
      return { event_reports: reports.map(reportJson), total, ...(reports.length > 0 && next < total ? { next_token: next } : {}) };
    },

    /** GET /_synapse/admin/v1/event_reports/{reportId}: with the reported event as this server stores it. */
    async get(id: string) {
      const row = await repo.eventReport(reportId(id));
      if (!row) throw notFound("Event report not found");
      return { ...reportJson(row), event_json: row.eventJson === null ? null : JSON.parse(row.eventJson) };
    },

    /** DELETE /_synapse/admin/v1/event_reports/{reportId} */
    async delete(id: string): Promise<Record<string, never>> {
      if (!(await repo.deleteEventReport(reportId(id)))) throw notFound("Event report not found");
      return {};
    },
  };
}

export type AdminReports = ReturnType<typeof createAdminReports>;

// Reporting content: events (reporter joined and able to see the event), rooms (no membership
// needed) and users (no shared room needed), stored for the server's administrators.
// https://spec.matrix.org/v1.19/client-server-api/#reporting-content
import { isLocalUser, isUserId } from "../auth/user-id-checks.ts";
import { badJson, MatrixError, notFound } from "../protocol/matrix-error.ts";
import type { ReportsRepo } from "../storage/repos/reports.ts";
import type { RoomReader } from "./room-reader.ts";

/** Limit: characters of a report's reason (Synapse's limit for user reports, applied to all three). */
export const MAX_REPORT_REASON_LENGTH = 1000;
/** Range of the event report's `score`, removed from the spec in v1.18 but still sent by older clients. */
const SCORE_RANGE = [-100, 0] as const;

export interface ReportsDeps {
  repo: Pick<ReportsRepo, "add">;
  rooms: Pick<RoomReader, "roomVersion" | "membership" | "canSeeEvent">;
  serverName: string;
  /** Whether a local account exists (accounts repo). */
  userExists: (userId: string) => Promise<boolean>;
  now?: () => number;
}

function checkReason(reason: string | undefined): void {
  if (reason !== undefined && reason.length > MAX_REPORT_REASON_LENGTH) throw badJson(`reason must be at most ${MAX_REPORT_REASON_LENGTH} characters`);
}

export function createReports(deps: ReportsDeps) {
  const { repo, rooms } = deps;
  const now = deps.now ?? Date.now;

  return {
    /**
     * POST /rooms/{roomId}/report/{eventId}. One 404 for "no such event", "not visible" and "not
     * joined" (the spec's wording), so a report cannot probe what the reporter may not see.
     */
    async reportEvent(reporter: string, roomId: string, eventId: string, body: { reason?: string; score?: number }): Promise<void> {
      checkReason(body.reason);
      if (body.score !== undefined && (body.score < SCORE_RANGE[0] || body.score > SCORE_RANGE[1])) {
        throw badJson(`score must be between ${SCORE_RANGE[0]} and ${SCORE_RANGE[1]}`);
      }
      const joined = (await rooms.membership(roomId, reporter)) === "join";
      if (!joined || !(await rooms.canSeeEvent(reporter, roomId, eventId))) {
        throw notFound("Unable to report event: it does not exist or you aren't able to see it");
      }
      await repo.add({ kind: "event", roomId, eventId, reporter, reason: body.reason ?? null, score: body.score ?? null, receivedTs: now() });
    },

    /** POST /rooms/{roomId}/report: any user, joined or not; 404 only for a room this server does not know. */
    async reportRoom(reporter: string, roomId: string, reason: string): Promise<void> {
      checkReason(reason);
      if ((await rooms.roomVersion(roomId)) === null) throw notFound("The room was not found");
      await repo.add({ kind: "room", roomId, reporter, reason, receivedTs: now() });
    },

    /**
     * POST /users/{userId}/report. Unknown and remote users get the same 200 without a stored report
     * (as Synapse): the spec lets servers hide whether a user exists, and remote ones are not ours to act on.
     */
    async reportUser(reporter: string, userId: string, reason: string): Promise<void> {
      if (!isUserId(userId)) throw new MatrixError(400, "M_INVALID_PARAM", `${userId} is not a valid user ID`);
      checkReason(reason);
      if (!isLocalUser(userId, deps.serverName) || !(await deps.userExists(userId))) return;
      await repo.add({ kind: "user", targetUserId: userId, reporter, reason, receivedTs: now() });
    },
  };
}

export type Reports = ReturnType<typeof createReports>;

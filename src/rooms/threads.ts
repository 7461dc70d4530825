// GET /rooms/{roomId}/threads: the room's thread roots, by latest activity, newest first.
// https://spec.matrix.org/v1.19/client-server-api/#querying-threads-in-a-room
// https://spec.matrix.org/v1.19/client-server-api/#get_matrixclientv1roomsroomidthreads
import { stateKey } from "../engine/index.ts";
import { MatrixError } from "../protocol/matrix-error.ts";
import type { JsonObject } from "../protocol/signed-json.ts";
import type { RelationsRepo } from "../storage/repos/relations.ts";
import type { ClientEvent, ClientEventFormatter, Viewer } from "./client-events.ts";
import { currentMember } from "./membership.ts";
import { pageLimit, visiblePage } from "./relation-pages.ts";
import { parsePositionToken } from "./pagination-token.ts";
import type { RoomHeads } from "./room-heads.ts";
import type { EventCache, StoredEvent } from "./stored-event.ts";

/** Limit: thread roots per page when the client gives no limit (Synapse's default). */
const THREADS_DEFAULT_LIMIT = 5;
/** Limit: thread roots per page at most (larger limits are lowered to it). */
const THREADS_MAX_LIMIT = 100;

export interface ThreadsQuery {
  include?: "all" | "participated";
  from?: string;
  limit?: number;
}

/** Memberships that let a user list a room's threads (history visibility then filters the roots). */
const MAY_READ = new Set(["join", "invite", "leave", "ban"]);

export function createThreads(deps: {
  repo: Pick<RelationsRepo, "threadRoots">;
  heads: RoomHeads;
  cache: EventCache;
  formatter: ClientEventFormatter;
  visibleEvents(userId: string, roomId: string, ids: readonly string[]): Promise<(StoredEvent | undefined)[]>;
}) {
  /** 403 unless the user is or was in the room, or it is world readable (the spec's "cannot view or peek"). */
  async function checkCanView(roomId: string, userId: string): Promise<void> {
    const head = await deps.heads.get(roomId);
    if (head) {
      const membership = (await currentMember(head, deps.cache, userId))?.membership;
      if (membership && MAY_READ.has(membership)) return;
      const historyId = head.state.get(stateKey("m.room.history_visibility", ""));
      const history = historyId ? ((await deps.cache.one(historyId))?.pdu.content as JsonObject | undefined) : undefined;
      if (history?.history_visibility === "world_readable") return;
    }
    throw new MatrixError(403, "M_FORBIDDEN", "You are not allowed to view this room");
  }

  return {
    async list(viewer: Viewer, roomId: string, query: ThreadsQuery): Promise<{ chunk: ClientEvent[]; next_batch?: string }> {
      const limit = pageLimit(query.limit, THREADS_DEFAULT_LIMIT, THREADS_MAX_LIMIT);
      const from = query.from === undefined ? undefined : parsePositionToken(query.from, "from");
      await checkCanView(roomId, viewer.userId);
      const participant = query.include === "participated" ? viewer.userId : undefined;
      const page = await visiblePage({
        dir: "b", limit, bounds: { upTo: from },
        fetch: (bounds, n) => deps.repo.threadRoots(roomId, { participant, upTo: bounds.upTo, limit: n }),
        positionOf: (row) => row.latest,
        visible: (rows) => deps.visibleEvents(viewer.userId, roomId, rows.map((r) => r.rootId)),
      });
      const chunk = await deps.formatter.format(page.events, viewer, { aggregations: true });
      return page.next === undefined ? { chunk } : { chunk, next_batch: page.next };
    },
  };
}

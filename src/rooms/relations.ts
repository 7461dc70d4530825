// The relationships API: GET /rooms/{roomId}/relations/{eventId}[/{relType}[/{eventType}]], and
// the relations services (thread list, bundled aggregations) built together.
// https://spec.matrix.org/v1.19/client-server-api/#relationships-api
// https://spec.matrix.org/v1.19/client-server-api/#get_matrixclientv1roomsroomidrelationseventid
import { MatrixError } from "../protocol/matrix-error.ts";
import type { RelationsRepo } from "../storage/repos/relations.ts";
import { createAggregations } from "./aggregations.ts";
import type { Aggregations, ClientEvent, ClientEventFormatter, Viewer } from "./client-events.ts";
import { boundsOf, pageLimit, visiblePage } from "./relation-pages.ts";
import { parsePositionToken } from "./pagination-token.ts";
import type { RoomHeads } from "./room-heads.ts";
import type { EventCache, StoredEvent } from "./stored-event.ts";
import { createThreads, type ThreadsQuery } from "./threads.ts";
import type { HistoryVisibility } from "./visibility.ts";

/** Limit: levels of relations followed with recurse=true (the spec asks for at least 3; Synapse uses 3). */
export const RELATIONS_RECURSION_DEPTH = 3;
/** Limit: events per page when the client gives no limit (Synapse's default). */
export const RELATIONS_DEFAULT_LIMIT = 5;
/** Limit: events per page at most (larger limits are lowered to it). */
export const RELATIONS_MAX_LIMIT = 100;

export interface RelationsQuery {
  relType?: string;
  eventType?: string;
  from?: string;
  to?: string;
  limit?: number;
  dir?: "b" | "f";
  recurse?: boolean;
}

export interface RelationsPage {
  chunk: ClientEvent[];
  next_batch?: string;
  prev_batch?: string;
  recursion_depth?: number;
}

export interface Relations {
  /** Child events of a parent the viewer may see, newest first by default. */
  children(viewer: Viewer, roomId: string, eventId: string, query: RelationsQuery): Promise<RelationsPage>;
  /** Thread roots of a room by latest activity (GET /threads). */
  threads(viewer: Viewer, roomId: string, query: ThreadsQuery): Promise<{ chunk: ClientEvent[]; next_batch?: string }>;
  /** The formatter's bundled aggregations hook. */
  aggregations: Aggregations;
}

export function createRelations(deps: {
  repo: RelationsRepo;
  heads: RoomHeads;
  cache: EventCache;
  formatter: ClientEventFormatter;
  visibility: HistoryVisibility;
}): Relations {
  const { cache, visibility } = deps;

  /** Per id, in order: the event if it is in the room, not rejected and the user may see it. */
  async function visibleEvents(userId: string, roomId: string, ids: readonly string[]): Promise<(StoredEvent | undefined)[]> {
    const byId = new Map((await cache.get(ids)).map((e) => [e.eventId, e]));
    return Promise.all(
      ids.map(async (id) => {
        const event = byId.get(id);
        if (!event || event.roomId !== roomId || event.rejectedReason || event.outlier) return undefined;
        return (await visibility.canSeeEvent(userId, event)) ? event : undefined;
      }),
    );
  }

  const threads = createThreads({ ...deps, visibleEvents });

  return {
    async children(viewer, roomId, eventId, query) {
      const limit = pageLimit(query.limit, RELATIONS_DEFAULT_LIMIT, RELATIONS_MAX_LIMIT);
      const dir = query.dir ?? "b";
      const from = query.from === undefined ? undefined : parsePositionToken(query.from, "from");
      const to = query.to === undefined ? undefined : parsePositionToken(query.to, "to");
      // The parent must be visible too: an unknown and a hidden parent answer alike.
      const [parent] = await visibleEvents(viewer.userId, roomId, [eventId]);
      if (!parent) throw new MatrixError(404, "M_NOT_FOUND", "Event not found");
      const depth = query.recurse ? RELATIONS_RECURSION_DEPTH : 1;
      const filter = { relType: query.relType, eventType: query.eventType, depth };
      const page = await visiblePage({
        dir, limit, bounds: boundsOf(dir, from, to),
        fetch: (bounds, n) => deps.repo.children(roomId, eventId, filter, { ...bounds, dir, limit: n }),
        positionOf: (row) => row.streamOrdering,
        visible: (rows) => visibleEvents(viewer.userId, roomId, rows.map((r) => r.eventId)),
      });
      const result: RelationsPage = { chunk: await deps.formatter.format(page.events, viewer, { aggregations: true }) };
      if (page.next !== undefined) result.next_batch = page.next;
      if (query.from !== undefined) result.prev_batch = query.from;
      if (query.recurse !== undefined) result.recursion_depth = query.recurse ? RELATIONS_RECURSION_DEPTH : 1;
      return result;
    },
    threads: threads.list,
    aggregations: createAggregations({ ...deps, visibleEvents }),
  };
}

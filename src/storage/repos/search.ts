// Full-text search over event_search (schema/search.ts) for POST /search, and the rows around
// a result for its context. No Matrix rules here: src/rooms/search.ts decides rooms and visibility.
import type { Db } from "../db.ts";

/** What to search and where: the rooms, keys and the RoomEventFilter parts SQL can apply. */
export interface SearchScope {
  /** The client's search term, parsed by websearch_to_tsquery ("quoted phrases", or, -not). */
  term: string;
  roomIds: readonly string[];
  /** "content.body", "content.name", "content.topic". */
  keys: readonly string[];
  /** LIKE patterns (the filter's `*` wildcards already turned into `%`). */
  types?: readonly string[];
  notTypes?: readonly string[];
  senders?: readonly string[];
  notSenders?: readonly string[];
  containsUrl?: boolean;
}

/** Where a page ended: results continue strictly after it in the requested order. */
export interface SearchPosition {
  /** ts_rank of the last row (rank order only). */
  rank: number;
  streamOrdering: number;
}

export interface SearchHit extends SearchPosition {
  eventId: string;
  roomId: string;
}

export type SearchOrder = "rank" | "recent";

/**
 * The search term as a tsquery in which every word also matches as a prefix ('meet' finds
 * 'meeting'): the 'simple' configuration does no stemming, so prefixes stand in for it.
 * websearch_to_tsquery never fails on user input; its lexemes are quoted, which the regexp
 * relies on to append :* to each of them.
 */
const QUERY = `regexp_replace(websearch_to_tsquery('simple', $1)::text, '''(?:[^'']|'''')*''', '\\&:*', 'g')::tsquery`;

/** The WHERE clause of a scope, its parameters appended to `params` ($1 is the term). */
function scopeClause(scope: SearchScope, params: unknown[]): { join: boolean; where: string } {
  params.push(scope.term, scope.roomIds as string[], scope.keys as string[]);
  const clauses = [`s.vector @@ ${QUERY}`, "s.room_id = any($2)", "s.key = any($3)"];
  const param = (value: unknown) => `$${params.push(value)}`;
  if (scope.types) clauses.push(`e.type like any(${param(scope.types)})`);
  if (scope.notTypes && scope.notTypes.length > 0) clauses.push(`not (e.type like any(${param(scope.notTypes)}))`);
  if (scope.senders) clauses.push(`e.sender = any(${param(scope.senders)})`);
  if (scope.notSenders && scope.notSenders.length > 0) clauses.push(`not (e.sender = any(${param(scope.notSenders)}))`);
  if (scope.containsUrl !== undefined) clauses.push(`jsonb_exists((e.json::jsonb) -> 'content', 'url') = ${param(scope.containsUrl)}`);
  const join = Boolean(scope.types || scope.notTypes?.length || scope.senders || scope.notSenders?.length || scope.containsUrl !== undefined);
  return { join, where: clauses.join(" and ") };
}

export function createSearchRepo(db: Db) {
  const sql = db.$client;
  return {
    /** Rooms whose events the user may have seen: joined, left or banned from, and not forgotten. */
    async searchableRooms(userId: string): Promise<string[]> {
      const rows = await sql<{ roomId: string }[]>`select c.room_id as "roomId" from current_state c
        where c.type = 'm.room.member' and c.state_key = ${userId} and c.membership in ('join', 'leave', 'ban')
          and not exists (select 1 from forgotten_rooms f where f.user_id = ${userId} and f.room_id = c.room_id)`;
      return rows.map((r) => r.roomId);
    },

    /** Up to `limit` matches after `after`, best first (rank) or newest first (recent). */
    async search(scope: SearchScope, order: SearchOrder, after: SearchPosition | null, limit: number): Promise<SearchHit[]> {
      const params: unknown[] = [];
      const { join, where } = scopeClause(scope, params);
      const rank = `ts_rank(s.vector, ${QUERY})`;
      let page = "";
      if (after && order === "rank") page = ` and (${rank}, s.stream_ordering) < ($${params.push(after.rank)}::real, $${params.push(after.streamOrdering)})`;
      if (after && order === "recent") page = ` and s.stream_ordering < $${params.push(after.streamOrdering)}`;
      const orderBy = order === "rank" ? "rank desc, s.stream_ordering desc" : "s.stream_ordering desc";
      return sql.unsafe<SearchHit[]>(
        `select s.event_id as "eventId", s.room_id as "roomId", s.stream_ordering::float8 as "streamOrdering", ${rank} as rank
         from event_search s ${join ? "join events e using (event_id)" : ""}
         where ${where}${page} order by ${orderBy} limit $${params.push(limit)}`,
        params as never[],
      );
    },

    /** How many rows match the scope, counting at most `cap` (the spec allows an estimate). */
    async count(scope: SearchScope, cap: number): Promise<number> {
      const params: unknown[] = [];
      const { join, where } = scopeClause(scope, params);
      const [row] = await sql.unsafe<{ n: number }[]>(
        `select count(*)::int as n from (select 1 from event_search s ${join ? "join events e using (event_id)" : ""}
         where ${where} limit $${params.push(cap)}) matches`,
        params as never[],
      );
      return row?.n ?? 0;
    },

    /**
     * For each anchor (room, stream position), the ids of up to `before` timeline events just
     * before it (newest first) and `after` just after it (oldest first), in one round trip.
     */
    async around(anchors: readonly { roomId: string; streamOrdering: number }[], before: number, after: number): Promise<{ before: string[]; after: string[] }[]> {
      const result = anchors.map(() => ({ before: [] as string[], after: [] as string[] }));
      if (anchors.length === 0 || before + after === 0) return result;
      const rows = await sql<{ anchor: number; eventId: string; side: "before" | "after" }[]>`
        select a.n::int - 1 as anchor, x.event_id as "eventId", x.side
        from unnest(${anchors.map((a) => a.roomId)}::text[], ${anchors.map((a) => a.streamOrdering)}::bigint[]) with ordinality as a(room_id, position, n)
        cross join lateral (
          (select event_id, 'before' as side, stream_ordering from events
           where room_id = a.room_id and stream_ordering < a.position and not outlier and rejected_reason is null
           order by stream_ordering desc limit ${before})
          union all
          (select event_id, 'after' as side, stream_ordering from events
           where room_id = a.room_id and stream_ordering > a.position and not outlier and rejected_reason is null
           order by stream_ordering asc limit ${after})
        ) x
        order by a.n, x.side, case when x.side = 'before' then -x.stream_ordering else x.stream_ordering end`;
      for (const row of rows) result[row.anchor]![row.side].push(row.eventId);
      return result;
    },
  };
}

export type SearchRepo = ReturnType<typeof createSearchRepo>;

// GET /v1/rooms/{roomId}/hierarchy: the space tree below a room, depth first, over the rooms this
// server knows (remote children are not asked of their servers yet). Other servers get a
// space's direct children through forServer (GET /_matrix/federation/v1/hierarchy/{roomId}). Pages are stateless: the token holds
// the request's parameters and how many rooms earlier pages returned.
// https://spec.matrix.org/v1.19/client-server-api/#get_matrixclientv1roomsroomidhierarchy
// https://spec.matrix.org/v1.19/client-server-api/#discovering-rooms-within-spaces
import { stateKey as keyOf } from "../engine/index.ts";
import { MatrixError } from "../protocol/matrix-error.ts";
import type { JsonObject } from "../protocol/signed-json.ts";
import type { RoomDirectoryRepo, RoomSummaryRow } from "../storage/repos/room-directory.ts";
import { createRoomAccess, type Viewer } from "./room-access.ts";
import { roomChunk } from "./public-rooms.ts";
import type { RoomHead, RoomHeads } from "./room-heads.ts";
import type { EventCache, StoredEvent } from "./stored-event.ts";

/** Limit: rooms per page (default and ceiling). */
export const MAX_HIERARCHY_PAGE = 50;
/** Limit: depth below the root (default and ceiling). */
export const MAX_HIERARCHY_DEPTH = 10;
/** Limit: rooms one request walks through, earlier pages included. */
export const MAX_HIERARCHY_WALK = 1000;

export interface HierarchyRequest {
  suggestedOnly?: boolean;
  maxDepth?: number;
  limit?: number;
  from?: string;
}

/** GET /_matrix/federation/v1/hierarchy/{roomId}: the space and its direct children, unpaginated. */
export interface ServerHierarchy {
  room: JsonObject;
  children: JsonObject[];
  inaccessible_children: string[];
}

export interface SpaceHierarchy {
  hierarchy(userId: string, roomId: string, request: HierarchyRequest): Promise<{ rooms: JsonObject[]; next_batch?: string }>;
  /** What another server may see of a space: 404 when it could neither peek nor join it. */
  forServer(server: string, roomId: string, suggestedOnly: boolean): Promise<ServerHierarchy>;
}

/** Who looks: one of our users, or another server (for its users). */

interface PageToken {
  root: string;
  suggestedOnly: boolean;
  maxDepth: number;
  skip: number;
}

const encodeToken = (t: PageToken) => Buffer.from(JSON.stringify([t.root, t.suggestedOnly, t.maxDepth, t.skip])).toString("base64url");

function decodeToken(text: string): PageToken {
  try {
    const [root, suggestedOnly, maxDepth, skip] = JSON.parse(Buffer.from(text, "base64url").toString()) as unknown[];
    if (typeof root === "string" && typeof suggestedOnly === "boolean" && Number.isSafeInteger(maxDepth) && Number.isSafeInteger(skip)) {
      return { root, suggestedOnly, maxDepth: maxDepth as number, skip: skip as number };
    }
  } catch {
    // Falls through to the error below.
  }
  throw new MatrixError(400, "M_INVALID_PARAM", "Unknown pagination token");
}

/** `order` as the spec allows it: at most 50 printable ASCII characters. */
const validOrder = (order: unknown): order is string => typeof order === "string" && order.length <= 50 && /^[\x20-\x7E]*$/.test(order);

/** The spec's ordering of children: valid `order` first (code points), then timestamp, then room id. */
function compareChildren(a: StoredEvent, b: StoredEvent): number {
  const oa = (a.pdu.content as JsonObject).order;
  const ob = (b.pdu.content as JsonObject).order;
  if (validOrder(oa) !== validOrder(ob)) return validOrder(oa) ? -1 : 1;
  if (validOrder(oa) && validOrder(ob) && oa !== ob) return oa < ob ? -1 : 1;
  if (a.originServerTs !== b.originServerTs) return a.originServerTs - b.originServerTs;
  return a.stateKey! < b.stateKey! ? -1 : a.stateKey! > b.stateKey! ? 1 : 0;
}

export function createSpaceHierarchy(deps: { heads: RoomHeads; cache: EventCache; repo: Pick<RoomDirectoryRepo, "summaries"> }): SpaceHierarchy {
  const { heads, cache } = deps;

  const { stateContent, allowedRooms, accessible } = createRoomAccess({ heads, cache });

  /** A space's m.space.child events with a non-empty via, in the spec's order. */
  async function children(head: RoomHead, suggestedOnly: boolean): Promise<StoredEvent[]> {
    const ids = [...head.state].filter(([key]) => key.startsWith('["m.space.child",')).map(([, id]) => id);
    const events = (await cache.get(ids)).filter((e) => {
      const content = e.pdu.content as JsonObject;
      const via = content.via;
      if (!e.stateKey?.startsWith("!") || e.redactedBy || !Array.isArray(via) || via.length === 0 || !via.every((v) => typeof v === "string")) return false;
      return !suggestedOnly || content.suggested === true;
    });
    return events.sort(compareChildren);
  }

  /** A room as the hierarchy describes it: its summary, version, encryption, allowed rooms and children. */
  async function entryOf(head: RoomHead, row: RoomSummaryRow, kids: StoredEvent[] | null): Promise<JsonObject> {
    const entry: JsonObject = { ...roomChunk(row), room_version: head.version };
    if (row.encryption !== null) entry.encryption = row.encryption;
    const allowed = allowedRooms(head, await stateContent(head, "m.room.join_rules"));
    if (allowed.length > 0) entry.allowed_room_ids = allowed;
    if (kids) entry.children_state = kids.map((e) => ({ type: e.type, state_key: e.stateKey, content: e.pdu.content, sender: e.sender, origin_server_ts: e.originServerTs }));
    return entry;
  }

  const childrenIfSpace = async (head: RoomHead, suggestedOnly: boolean) =>
    (await stateContent(head, "m.room.create"))?.type === "m.space" ? children(head, suggestedOnly) : [];

  return {
    async forServer(server, roomId, suggestedOnly) {
      const head = await heads.get(roomId);
      if (!head || !(await accessible(head, { server }))) throw new MatrixError(404, "M_NOT_FOUND", "Unknown room");
      const kids = await childrenIfSpace(head, suggestedOnly);
      const visible: RoomHead[] = [];
      const inaccessible: string[] = [];
      for (const child of new Set(kids.map((e) => e.stateKey!))) {
        const childHead = await heads.get(child);
        // Rooms this server knows nothing of are left out (the spec); the caller asks elsewhere.
        if (!childHead) continue;
        if (await accessible(childHead, { server })) visible.push(childHead);
        else inaccessible.push(child);
      }
      const rows = new Map((await deps.repo.summaries([roomId, ...visible.map((h) => h.roomId)])).map((row) => [row.roomId, row]));
      const root = rows.get(roomId);
      if (!root) throw new MatrixError(404, "M_NOT_FOUND", "Unknown room");
      const childEntries: JsonObject[] = [];
      for (const childHead of visible) {
        const row = rows.get(childHead.roomId);
        if (row) childEntries.push(await entryOf(childHead, row, await childrenIfSpace(childHead, suggestedOnly)));
      }
      return { room: await entryOf(head, root, kids), children: childEntries, inaccessible_children: inaccessible };
    },

    async hierarchy(userId, rootId, request) {
      if (request.limit !== undefined && request.limit < 1) throw new MatrixError(400, "M_INVALID_PARAM", "limit must be greater than zero");
      if (request.maxDepth !== undefined && request.maxDepth < 0) throw new MatrixError(400, "M_INVALID_PARAM", "max_depth must not be negative");
      const limit = Math.min(request.limit ?? MAX_HIERARCHY_PAGE, MAX_HIERARCHY_PAGE);
      const page: PageToken = { root: rootId, suggestedOnly: request.suggestedOnly ?? false, maxDepth: Math.min(request.maxDepth ?? MAX_HIERARCHY_DEPTH, MAX_HIERARCHY_DEPTH), skip: 0 };
      if (request.from !== undefined) {
        const token = decodeToken(request.from);
        if (token.root !== page.root || token.suggestedOnly !== page.suggestedOnly || token.maxDepth !== page.maxDepth) {
          throw new MatrixError(400, "M_INVALID_PARAM", "suggested_only and max_depth cannot change on paginated requests");
        }
        page.skip = token.skip;
      }

      const rootHead = await heads.get(rootId);
      if (!rootHead || !(await accessible(rootHead, { userId }))) throw new MatrixError(403, "M_FORBIDDEN", "You are not allowed to view this room");

      // Depth first: a room's children go to the front of the queue, the first child first.
      const queue: { roomId: string; depth: number }[] = [{ roomId: rootId, depth: 0 }];
      const seen = new Set<string>();
      const found: { head: RoomHead; children: StoredEvent[] }[] = [];
      let included = 0;
      let more = false;
      while (queue.length > 0 && seen.size < MAX_HIERARCHY_WALK) {
        const { roomId, depth } = queue.shift()!;
        if (seen.has(roomId)) continue; // loops and rooms listed twice
        seen.add(roomId);
        const head = roomId === rootId ? rootHead : await heads.get(roomId);
        if (!head || !(await accessible(head, { userId }))) continue;
        if (found.length === limit) {
          more = true;
          break;
        }
        const kids = depth < page.maxDepth ? await childrenIfSpace(head, page.suggestedOnly) : [];
        if (included++ >= page.skip) found.push({ head, children: kids });
        queue.unshift(...kids.map((child) => ({ roomId: child.stateKey!, depth: depth + 1 })));
      }

      const summaries = new Map((await deps.repo.summaries(found.map((f) => f.head.roomId))).map((row) => [row.roomId, row]));
      const rooms: JsonObject[] = [];
      for (const { head, children: kids } of found) {
        const row = summaries.get(head.roomId);
        if (row) rooms.push(await entryOf(head, row, kids));
      }
      return more ? { rooms, next_batch: encodeToken({ ...page, skip: page.skip + found.length }) } : { rooms };
    },
  };
}

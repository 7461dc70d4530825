// The /sync `filter` parameter: a filter id (POST /user/{userId}/filter) or inline JSON, and
// what the filter's parts do to the events sync serves (event_fields, event_format, limits).
// https://spec.matrix.org/v1.19/client-server-api/#filtering
// https://spec.matrix.org/v1.19/client-server-api/#post_matrixclientv3useruseridfilter
import { TypeCompiler } from "@sinclair/typebox/compiler";
import { Filter, type Filters } from "../auth/filters.ts";
import { MatrixError } from "../protocol/matrix-error.ts";
import type { RoomEventFilter } from "../rooms/event-filter.ts";

const check = TypeCompiler.Compile(Filter);

/** Limit: timeline events per room when the filter names none (the spec's example and Synapse's default). */
export const DEFAULT_TIMELINE_LIMIT = 10;
/** Limit: the most timeline events per room one sync carries, whatever the filter asks (a long history is for /messages). */
export const MAX_TIMELINE_LIMIT = 100;

export async function resolveSyncFilter(filters: Pick<Filters, "get">, userId: string, param: string | undefined): Promise<Filter> {
  if (param === undefined || param === "") return {};
  if (!param.trimStart().startsWith("{")) {
    try {
      return await filters.get(userId, userId, param);
    } catch (error) {
      if (error instanceof MatrixError && error.status === 404) throw new MatrixError(400, "M_INVALID_PARAM", "No such filter");
      throw error;
    }
  }
  let value: unknown;
  try {
    value = JSON.parse(param);
  } catch {
    throw new MatrixError(400, "M_NOT_JSON", "Invalid filter JSON");
  }
  if (typeof value !== "object" || value === null || Array.isArray(value) || !check.Check(value)) {
    const error = check.Errors(value).First();
    throw new MatrixError(400, "M_BAD_JSON", `Invalid filter${error ? `: ${error.path || "/"} ${error.message}` : ""}`);
  }
  return value as Filter;
}

/** The timeline filter with the room-level rooms/not_rooms folded in, and its effective limit. */
export function timelineFilter(filter: Filter): { filter: RoomEventFilter; limit: number } {
  const timeline = filter.room?.timeline ?? {};
  return { filter: timeline, limit: Math.min(timeline.limit ?? DEFAULT_TIMELINE_LIMIT, MAX_TIMELINE_LIMIT) };
}

/** Whether the room-level filter (room.rooms / room.not_rooms) lets the room into the response at all. */
export function roomIncluded(filter: Filter, roomId: string): boolean {
  const room = filter.room;
  if (room?.not_rooms?.includes(roomId)) return false;
  return room?.rooms === undefined || room.rooms.includes(roomId);
}

/** An EventFilter's type and sender lists, for events without a room (account data, presence, ephemeral). */
export function eventAllowed(filter: { types?: string[]; not_types?: string[]; senders?: string[]; not_senders?: string[] } | undefined, type: string, sender?: string): boolean {
  if (!filter) return true;
  const matches = (pattern: string) => (pattern.includes("*") ? new RegExp(`^${pattern.split("*").map(escape).join(".*")}$`, "s").test(type) : pattern === type);
  if (filter.not_types?.some(matches)) return false;
  if (filter.types !== undefined && !filter.types.some(matches)) return false;
  if (sender !== undefined && filter.not_senders?.includes(sender)) return false;
  if (sender !== undefined && filter.senders !== undefined && !filter.senders.includes(sender)) return false;
  return true;
}

const escape = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");

/** Splits an event_fields entry on dots not escaped with a backslash. */
function fieldPath(field: string): string[] {
  const parts: string[] = [];
  let current = "";
  for (let i = 0; i < field.length; i++) {
    const c = field[i]!;
    if (c === "\\" && i + 1 < field.length) current += field[++i];
    else if (c === ".") (parts.push(current), (current = ""));
    else current += c;
  }
  parts.push(current);
  return parts;
}

/**
 * Keeps only the listed fields of each event (the filter's event_fields: dotted paths, "\." for a
 * literal dot); a path missing from the event is skipped.
 */
export function projectFields(fields: readonly string[] | undefined): <T extends object>(event: T) => Partial<T> {
  if (!fields) return (event) => event;
  const paths = fields.map(fieldPath);
  return (event) => {
    const out: Record<string, unknown> = {};
    for (const path of paths) {
      let from: unknown = event;
      for (const key of path) from = typeof from === "object" && from !== null ? (from as Record<string, unknown>)[key] : undefined;
      if (from === undefined) continue;
      let to = out;
      for (const key of path.slice(0, -1)) to = (to[key] ??= {}) as Record<string, unknown>;
      to[path.at(-1)!] = from;
    }
    return out as Partial<never>;
  };
}

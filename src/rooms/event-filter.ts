// RoomEventFilter: parsing the `filter` query parameter of /messages and /context, and the pure
// match of one event against a filter (sync's timeline and state filters reuse it).
// https://spec.matrix.org/v1.19/client-server-api/#filtering
// data/api/client-server/definitions/room_event_filter.yaml
import type { Static } from "@sinclair/typebox";
import { TypeCompiler } from "@sinclair/typebox/compiler";
import { RoomEventFilter as RoomEventFilterSchema } from "../auth/filters.ts";
import { MatrixError } from "../protocol/matrix-error.ts";

export type RoomEventFilter = Static<typeof RoomEventFilterSchema>;

/** What a filter reads of an event. `content` is the content as served (redacted events: redacted). */
export interface FilterableEvent {
  type: string;
  sender: string;
  roomId: string;
  content: Readonly<Record<string, unknown>> | undefined;
}

const check = TypeCompiler.Compile(RoomEventFilterSchema);

/** The `filter` query parameter: a JSON RoomEventFilter (also accepted percent-encoded twice, as Synapse does). */
export function parseRoomEventFilter(text: string | undefined): RoomEventFilter {
  if (text === undefined || text === "") return {};
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    try {
      value = JSON.parse(decodeURIComponent(text));
    } catch {
      throw new MatrixError(400, "M_NOT_JSON", "filter is not valid JSON");
    }
  }
  if (typeof value !== "object" || value === null || Array.isArray(value) || !check.Check(value)) {
    const error = check.Errors(value).First();
    throw new MatrixError(400, "M_BAD_JSON", `Invalid filter${error ? `: ${error.path || "/"} ${error.message}` : ""}`);
  }
  return value;
}

/** Event type patterns: "*" matches any run of characters. */
function typeMatches(pattern: string, type: string): boolean {
  if (!pattern.includes("*")) return pattern === type;
  const parts = pattern.split("*").map((p) => p.replace(/[.*+?^${}()|[\]\\]/g, "\\$&"));
  return new RegExp(`^${parts.join(".*")}$`, "s").test(type);
}

/** Whether the filter lets the room through (rooms / not_rooms; not_rooms wins). */
export function roomAllowed(filter: RoomEventFilter, roomId: string): boolean {
  if (filter.not_rooms?.includes(roomId)) return false;
  return filter.rooms === undefined || filter.rooms.includes(roomId);
}

/** Whether the event passes the filter; the not_ lists win over the lists they exclude from. */
export function matchesRoomEventFilter(filter: RoomEventFilter, event: FilterableEvent): boolean {
  if (!roomAllowed(filter, event.roomId)) return false;
  if (filter.not_senders?.includes(event.sender)) return false;
  if (filter.senders !== undefined && !filter.senders.includes(event.sender)) return false;
  if (filter.not_types?.some((p) => typeMatches(p, event.type))) return false;
  if (filter.types !== undefined && !filter.types.some((p) => typeMatches(p, event.type))) return false;
  if (filter.contains_url !== undefined && (typeof event.content?.url === "string") !== filter.contains_url) return false;
  return true;
}

// Receipts: m.read and m.read.private "read up to" markers, unthreaded or per thread, and the
// m.fully_read marker that the same endpoint sets (as room account data, see read-markers.ts).
// Stored one per (room, type, user, thread) with a stream position for sync.
// https://spec.matrix.org/v1.19/client-server-api/#receipts
// https://spec.matrix.org/v1.19/client-server-api/#post_matrixclientv3roomsroomidreceiptreceipttypeeventid
import type { AccountData } from "../auth/account-data.ts";
import { forbidden, MatrixError, notFound } from "../protocol/matrix-error.ts";
import type { ReceiptRow, ReceiptsRepo } from "../storage/repos/receipts.ts";
import type { RoomReader } from "./room-reader.ts";

export const RECEIPT_TYPES = ["m.read", "m.read.private", "m.fully_read"] as const;
export type ReceiptType = (typeof RECEIPT_TYPES)[number];
/** The thread id of the main timeline (events in no thread). */
export const MAIN_THREAD = "main";
/** Stored thread id of an unthreaded receipt. */
const UNTHREADED = "";
/** Limit: relation hops followed to find an event's thread (the spec recommends at most 3). */
const MAX_THREAD_HOPS = 3;

/** Called after each stored receipt with its stream position; sync's notifier fills it. */
export type ReceiptsChanged = (roomId: string, position: number) => void;

/** What receipts need to know about events beyond RoomReader (the receipts repo reads it from the events table). */
export interface ReceiptEventInfo {
  /** The event's position in the event stream, or null when unknown: receipts only move forward. */
  streamOrdering(roomId: string, eventId: string): Promise<number | null>;
  /** content["m.relates_to"] of the event, or null: finds the thread a receipt's event is in. */
  relation(roomId: string, eventId: string): Promise<{ relatesTo: string; relType: string | null } | null>;
}

export interface ReceiptsDeps {
  repo: Pick<ReceiptsRepo, "eventOf" | "put" | "changes" | "maxPosition">;
  rooms: Pick<RoomReader, "membership" | "canSeeEvent">;
  events: ReceiptEventInfo;
  accountData: Pick<AccountData, "putAsServer">;
  now?: () => number;
  changed?: ReceiptsChanged;
}

const invalidParam = (message: string) => new MatrixError(400, "M_INVALID_PARAM", message);

/** Room and event ids as the spec's path patterns want them ("^!", "^\$"). */
export function checkIds(roomId: string, eventId?: string): void {
  if (!roomId.startsWith("!")) throw invalidParam(`${roomId} is not a valid room ID`);
  if (eventId !== undefined && !eventId.startsWith("$")) throw invalidParam(`${eventId} is not a valid event ID`);
}

/** thread_id as the body gave it: absent (unthreaded), "main" or an event id; 400 M_INVALID_PARAM otherwise. */
function parseThreadId(value: unknown, receiptType: ReceiptType): string {
  if (value === undefined) return UNTHREADED;
  if (typeof value !== "string" || value === "") throw invalidParam("thread_id field must be a non-empty string");
  if (receiptType === "m.fully_read") throw invalidParam("thread_id is not compatible with m.fully_read receipts");
  if (value !== MAIN_THREAD && !value.startsWith("$")) throw invalidParam("thread_id must be 'main' or a thread root's event ID");
  return value;
}

export function createReceipts(deps: ReceiptsDeps) {
  const { repo, rooms, events } = deps;
  const now = deps.now ?? Date.now;

  /**
   * Whether a receipt on the event may carry the thread id (Synapse's _is_event_in_thread): follow
   * relations up to MAX_THREAD_HOPS; an m.thread relation names the thread, and the events met on
   * the way (the root itself, events related to it otherwise) belong to the main timeline and also
   * to the thread they lead to.
   */
  async function inThread(roomId: string, eventId: string, threadId: string): Promise<boolean> {
    let current = eventId;
    for (let hop = 0; hop < MAX_THREAD_HOPS; hop++) {
      if (current === threadId) return true;
      const relation = await events.relation(roomId, current);
      if (!relation) break;
      if (relation.relType === "m.thread") return relation.relatesTo === threadId;
      current = relation.relatesTo;
    }
    return threadId === MAIN_THREAD || current === threadId;
  }

  const api = {
    /**
     * Refuses what a user may not acknowledge: 403 unless joined; 404 for an event that is not in
     * the room or not visible to them (one answer for both, so existence does not leak).
     */
    async checkTarget(userId: string, roomId: string, eventId: string): Promise<void> {
      checkIds(roomId, eventId);
      if ((await rooms.membership(roomId, userId)) !== "join") throw forbidden(`${userId} is not in room ${roomId}`);
      if (!(await rooms.canSeeEvent(userId, roomId, eventId))) throw notFound("Event not found or not visible to you");
    },

    /** Stores m.read or m.read.private after checkTarget; an older event than the stored one changes nothing. */
    async record(userId: string, roomId: string, receiptType: "m.read" | "m.read.private", eventId: string, threadId = UNTHREADED): Promise<void> {
      const previous = await repo.eventOf(roomId, receiptType, userId, threadId);
      if (previous === eventId) return;
      if (previous !== null) {
        const [before, after] = await Promise.all([events.streamOrdering(roomId, previous), events.streamOrdering(roomId, eventId)]);
        if (before !== null && after !== null && after < before) return; // receipts are "up to" markers: never rewound
      }
      const position = await repo.put({ roomId, receiptType, userId, threadId, eventId, data: { ts: now() } });
      deps.changed?.(roomId, position);
    },

    /** POST /rooms/{roomId}/receipt/{receiptType}/{eventId} with the body's thread_id. */
    async post(userId: string, roomId: string, receiptType: string, eventId: string, threadIdValue: unknown): Promise<void> {
      checkIds(roomId, eventId);
      if (!(RECEIPT_TYPES as readonly string[]).includes(receiptType)) throw invalidParam(`Receipt type must be one of ${RECEIPT_TYPES.join(", ")}`);
      const type = receiptType as ReceiptType;
      const threadId = parseThreadId(threadIdValue, type);
      await api.checkTarget(userId, roomId, eventId);
      if (type === "m.fully_read") {
        // Account data, not a receipt: https://spec.matrix.org/v1.19/client-server-api/#fully-read-markers
        await deps.accountData.putAsServer(userId, roomId, "m.fully_read", { event_id: eventId });
        return;
      }
      if (threadId !== UNTHREADED && !(await inThread(roomId, eventId, threadId))) {
        throw invalidParam(`event_id ${eventId} is not related to thread ${threadId}`);
      }
      await api.record(userId, roomId, type, eventId, threadId);
    },

    /** Receipts of these rooms changed in (after, upTo] that `viewer` may see (others' m.read.private never). */
    changes: (roomIds: readonly string[], viewer: string, after: number, upTo: number) => repo.changes(roomIds, viewer, after, upTo),

    /** The receipts stream's current position. */
    position: () => repo.maxPosition(),
  };
  return api;
}

export type Receipts = ReturnType<typeof createReceipts>;

/** One m.receipt event per room and thread (the spec's batching), from rows of `changes`. */
export function receiptEvents(rows: readonly ReceiptRow[]): { roomId: string; event: { type: "m.receipt"; content: Record<string, unknown> } }[] {
  const batches = new Map<string, { roomId: string; content: Record<string, Record<string, Record<string, unknown>>> }>();
  for (const row of rows) {
    const key = JSON.stringify([row.roomId, row.threadId]);
    let batch = batches.get(key);
    if (!batch) batches.set(key, (batch = { roomId: row.roomId, content: {} }));
    const byType = (batch.content[row.eventId] ??= {});
    const byUser = (byType[row.receiptType] ??= {}) as Record<string, unknown>;
    byUser[row.userId] = row.threadId === UNTHREADED ? row.data : { ...row.data, thread_id: row.threadId };
  }
  return [...batches.values()].map(({ roomId, content }) => ({ roomId, event: { type: "m.receipt" as const, content } }));
}

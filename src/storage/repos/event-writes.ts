// Writing an event and what goes with it (schema/rooms.ts, room-state.ts, search.ts): one
// transaction per persisted event. A message event is one statement of data-modifying CTEs (one
// round trip, one commit); a state event a transaction whose statements are pipelined.
// No Matrix rules here: src/rooms/ decides what to write.
import type { Sql } from "postgres";
import { DuplicateTransactionError } from "../errors.ts";
import { createTableStatistics } from "../table-statistics.ts";
import type { EventRow } from "./events.ts";

/** One row of current_state to set (eventId) or delete (null). */
export interface CurrentStateChange {
  type: string;
  stateKey: string;
  eventId: string | null;
  membership: string | null;
}

/** The summary columns of room_stats that state events set. */
export interface RoomStatsColumns {
  name: string | null;
  topic: string | null;
  avatarUrl: string | null;
  canonicalAlias: string | null;
  joinRule: string | null;
  historyVisibility: string | null;
  guestAccess: string | null;
  roomType: string | null;
  encryption: string | null;
}

/** What a state change sets in room_stats (absent: unchanged); the deltas add to the member counts. */
export type RoomStatsChange = Partial<RoomStatsColumns> & { joinedDelta?: number; invitedDelta?: number };

/** A state snapshot to insert with the event (ids are allocated by the caller). */
export interface NewSnapshot {
  id: number;
  parent: number | null;
  position: number;
  base: number | null;
  entries: { type: string; stateKey: string; eventId: string | null }[];
}

/** Everything one persisted event writes. */
export interface EventWrite {
  event: Omit<EventRow, "redactedBy" | "rejectedReason" | "outlier">;
  /** The new room's row, with its create event. */
  newRoom?: { roomVersion: string; creator: string; createdTs: number };
  snapshot?: NewSnapshot;
  currentState?: CurrentStateChange[];
  stats?: RoomStatsChange;
  /** Forward extremities: these are referenced now (removed), and the event becomes one. */
  prevEvents: string[];
  membership?: { userId: string; membership: string };
  transaction?: { userId: string; deviceId: string; endpoint: string; txnId: string; requestHash: string; createdTs: number };
  /** The event this redaction redacts, when it is in the room (marked redacted_by). */
  redacts?: string;
  search?: { key: string; text: string };
}


export function createEventWrites(sql: Sql, options: { onError?: (error: unknown) => void } = {}) {
  const statistics = createTableStatistics(sql, ["events", "event_search", "room_memberships", "current_state"], options.onError ?? (() => {}));

  async function persistFull(write: EventWrite): Promise<void> {
    const e = write.event;
    await sql.begin(async (tx) => {
        const q: Promise<unknown>[] = [];
        if (write.newRoom) {
          q.push(tx`insert into rooms (room_id, room_version, creator, created_ts) values (${e.roomId}, ${write.newRoom.roomVersion}, ${write.newRoom.creator}, ${write.newRoom.createdTs})`);
          q.push(tx`insert into room_stats (room_id) values (${e.roomId})`);
        }
        if (write.snapshot) {
          const s = write.snapshot;
          q.push(tx`insert into state_snapshots (id, room_id, parent, position, base) overriding system value values (${s.id}, ${e.roomId}, ${s.parent}, ${s.position}, ${s.base})`);
          if (s.entries.length > 0) {
            q.push(tx`insert into state_snapshot_entries ${tx(s.entries.map((x) => ({ snapshot_id: s.id, type: x.type, state_key: x.stateKey, event_id: x.eventId })))}`);
          }
        }
        q.push(tx`insert into events (event_id, room_id, stream_ordering, depth, type, state_key, sender, origin_server_ts, json, membership,
            state_snapshot, replaces_state, relates_to, rel_type, sender_device, txn_id)
          values (${e.eventId}, ${e.roomId}, ${e.streamOrdering}, ${e.depth}, ${e.type}, ${e.stateKey}, ${e.sender}, ${e.originServerTs}, ${e.json},
            ${e.membership}, ${e.stateSnapshot}, ${e.replacesState}, ${e.relatesTo}, ${e.relType}, ${e.senderDevice}, ${e.txnId})`);
        if (write.prevEvents.length > 0) q.push(tx`delete from room_forward_extremities where room_id = ${e.roomId} and event_id in ${tx(write.prevEvents)}`);
        q.push(tx`insert into room_forward_extremities (room_id, event_id) values (${e.roomId}, ${e.eventId})`);
        for (const change of write.currentState ?? []) {
          if (change.eventId === null) {
            q.push(tx`delete from current_state where room_id = ${e.roomId} and type = ${change.type} and state_key = ${change.stateKey}`);
          } else {
            q.push(tx`insert into current_state (room_id, type, state_key, event_id, membership)
              values (${e.roomId}, ${change.type}, ${change.stateKey}, ${change.eventId}, ${change.membership})
              on conflict (room_id, type, state_key) do update set event_id = excluded.event_id, membership = excluded.membership`);
          }
        }
        if (write.stats && Object.keys(write.stats).length > 0) {
          const { joinedDelta = 0, invitedDelta = 0, ...set } = write.stats;
          const columns = Object.fromEntries(Object.entries(set).map(([k, v]) => [k.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`), v]));
          if (Object.keys(columns).length > 0) q.push(tx`update room_stats set ${tx(columns)} where room_id = ${e.roomId}`);
          if (joinedDelta !== 0 || invitedDelta !== 0) {
            q.push(tx`update room_stats set joined_members = joined_members + ${joinedDelta}, invited_members = invited_members + ${invitedDelta}
              where room_id = ${e.roomId}`);
          }
        }
        if (write.membership) {
          const m = write.membership;
          q.push(tx`insert into room_memberships (event_id, room_id, user_id, sender, membership, stream_ordering)
            values (${e.eventId}, ${e.roomId}, ${m.userId}, ${e.sender}, ${m.membership}, ${e.streamOrdering})`);
          if (m.membership === "join" || m.membership === "invite" || m.membership === "knock") q.push(tx`delete from forgotten_rooms where user_id = ${m.userId} and room_id = ${e.roomId}`);
        }
        if (write.transaction) {
          const t = write.transaction;
          q.push(tx`insert into event_transactions (user_id, device_id, endpoint, txn_id, request_hash, event_id, created_ts)
            values (${t.userId}, ${t.deviceId}, ${t.endpoint}, ${t.txnId}, ${t.requestHash}, ${e.eventId}, ${t.createdTs})`);
        }
        if (write.redacts) {
          q.push(tx`update events set redacted_by = ${e.eventId} where event_id = ${write.redacts} and room_id = ${e.roomId} and redacted_by is null`);
          q.push(tx`delete from event_search where event_id = ${write.redacts}`);
        }
        if (write.search) {
          q.push(tx`insert into event_search (event_id, room_id, key, vector, stream_ordering, origin_server_ts)
            values (${e.eventId}, ${e.roomId}, ${write.search.key}, to_tsvector('simple', ${write.search.text}), ${e.streamOrdering}, ${e.originServerTs})`);
        }
        await Promise.all(q);
      });
  }

  /** A message event: no state, no redaction. */
  const isSimple = (w: EventWrite) => !w.newRoom && !w.snapshot && !w.currentState && !w.stats && !w.membership && !w.redacts;

  /**
   * The hot path as one statement of data-modifying CTEs: a single statement is its own
   * transaction, so the write costs one round trip (and one commit) instead of four.
   */
  async function persistSimple(write: EventWrite): Promise<void> {
    const e = write.event;
    const t = write.transaction;
    const txn = t
      ? sql`, t as (insert into event_transactions (user_id, device_id, endpoint, txn_id, request_hash, event_id, created_ts)
          values (${t.userId}, ${t.deviceId}, ${t.endpoint}, ${t.txnId}, ${t.requestHash}, ${e.eventId}, ${t.createdTs}))`
      : sql``;
    const search = write.search
      ? sql`, s as (insert into event_search (event_id, room_id, key, vector, stream_ordering, origin_server_ts)
          values (${e.eventId}, ${e.roomId}, ${write.search.key}, to_tsvector('simple', ${write.search.text}), ${e.streamOrdering}, ${e.originServerTs}))`
      : sql``;
    await sql`with e as (insert into events (event_id, room_id, stream_ordering, depth, type, state_key, sender, origin_server_ts, json,
          membership, state_snapshot, replaces_state, relates_to, rel_type, sender_device, txn_id)
        values (${e.eventId}, ${e.roomId}, ${e.streamOrdering}, ${e.depth}, ${e.type}, ${e.stateKey}, ${e.sender}, ${e.originServerTs}, ${e.json},
          ${e.membership}, ${e.stateSnapshot}, ${e.replacesState}, ${e.relatesTo}, ${e.relType}, ${e.senderDevice}, ${e.txnId})),
      d as (delete from room_forward_extremities where room_id = ${e.roomId} and event_id = any(${write.prevEvents}::text[])),
      x as (insert into room_forward_extremities (room_id, event_id) values (${e.roomId}, ${e.eventId}))
      ${txn} ${search}
      select 1`;
  }

  return {
    /** Writes the event and what goes with it atomically; DuplicateTransactionError when the txn id exists. */
    async persist(write: EventWrite): Promise<void> {
      try {
        await (isSimple(write) ? persistSimple(write) : persistFull(write));
        statistics.wrote();
      } catch (error) {
        const pgError = error as { code?: string; table_name?: string };
        if (pgError.code === "23505" && pgError.table_name === "event_transactions") {
          throw new DuplicateTransactionError();
        }
        throw error;
      }
    },
  };
}

// Events and the per-room rows read with them (schema/rooms.ts); writing them is
// ./event-writes.ts. No Matrix rules here: src/rooms/ decides what to write.
import type { Sql } from "postgres";
import type { Db } from "../db.ts";
import { createEventWrites } from "./event-writes.ts";

/** An event row as read back. */
export interface EventRow {
  eventId: string;
  roomId: string;
  streamOrdering: number;
  depth: number;
  type: string;
  stateKey: string | null;
  sender: string;
  originServerTs: number;
  json: string;
  membership: string | null;
  stateSnapshot: number | null;
  replacesState: string | null;
  redactedBy: string | null;
  relatesTo: string | null;
  relType: string | null;
  rejectedReason: string | null;
  outlier: boolean;
  /** The sending device and its txn id, for a locally sent event with one (unsigned.transaction_id). */
  senderDevice: string | null;
  txnId: string | null;
}

/** The columns of an EventRow, for every query that reads events. */
export type { CurrentStateChange, EventWrite, NewSnapshot, RoomStatsChange, RoomStatsColumns } from "./event-writes.ts";

export const EVENT_COLUMNS = `event_id as "eventId", room_id as "roomId", stream_ordering::float8 as "streamOrdering", depth::float8 as depth, type,
  state_key as "stateKey", sender, origin_server_ts::float8 as "originServerTs", json, membership, state_snapshot::float8 as "stateSnapshot",
  replaces_state as "replacesState", redacted_by as "redactedBy", relates_to as "relatesTo", rel_type as "relType",
  rejected_reason as "rejectedReason", outlier, sender_device as "senderDevice", txn_id as "txnId"`;

export function createEventsRepo(db: Db, options: { onError?: (error: unknown) => void } = {}) {
  const sql = db.$client;
  const writes = createEventWrites(sql, options);

  /** Hands out values of a sequence in blocks, so allocating one costs no round trip. */
  function sequence(name: string, block: number) {
    let next = 0;
    let end = 0;
    // One refill at a time: two in parallel could hand out a later block before an earlier one,
    // and positions would stop growing in the order they are handed out (sync relies on it).
    let refilling: Promise<void> | null = null;
    const refill = async () => {
      const rows = await sql.unsafe<{ v: string }[]>(`select nextval('${name}') as v from generate_series(1, ${block})`);
      const values = rows.map((r) => Number(r.v)).sort((a, b) => a - b);
      next = values[0]!;
      end = values[values.length - 1]! + 1;
      // A concurrent caller may have taken values in between: only a contiguous run is used.
      for (let i = 1; i < values.length; i++) if (values[i] !== values[i - 1]! + 1) end = values[i - 1]! + 1;
    };
    return async (): Promise<number> => {
      while (next >= end) await (refilling ??= refill().finally(() => (refilling = null)));
      return next++;
    };
  }

  const repo = {
    sql,
    /** Next position in the event stream (allocated by the process that writes, so it knows what is in flight). */
    nextStreamOrdering: sequence("event_stream_ordering", 100),
    /** Next state snapshot id. */
    nextSnapshotId: sequence("state_snapshots_id_seq", 100),

    persist: writes.persist,


    async room(roomId: string): Promise<{ roomVersion: string; creator: string; isPublic: boolean } | undefined> {
      const [row] = await sql<{ roomVersion: string; creator: string; isPublic: boolean }[]>`
        select room_version as "roomVersion", creator, is_public as "isPublic" from rooms where room_id = ${roomId}`;
      return row;
    },

    async events(ids: readonly string[]): Promise<EventRow[]> {
      if (ids.length === 0) return [];
      return sql.unsafe<EventRow[]>(`select ${EVENT_COLUMNS} from events where event_id = any($1)`, [ids as string[]]);
    },

    async forwardExtremities(roomId: string): Promise<{ eventId: string; depth: number }[]> {
      return sql<{ eventId: string; depth: number }[]>`
        select x.event_id as "eventId", e.depth::float8 as depth from room_forward_extremities x join events e using (event_id)
        where x.room_id = ${roomId}`;
    },

    async currentState(roomId: string): Promise<{ type: string; stateKey: string; eventId: string }[]> {
      return sql<{ type: string; stateKey: string; eventId: string }[]>`
        select type, state_key as "stateKey", event_id as "eventId" from current_state where room_id = ${roomId}`;
    },

    /** The room's newest event with a state snapshot: the snapshot the current state is. */
    async currentSnapshot(roomId: string): Promise<number | null> {
      const [row] = await sql<{ s: number | null }[]>`
        select state_snapshot::float8 as s from events where room_id = ${roomId} and state_snapshot is not null and not outlier
        order by stream_ordering desc limit 1`;
      return row?.s ?? null;
    },

    /** The snapshot and its base chain down to the root: [id, position, base], newest first. */
    async snapshotChain(id: number): Promise<{ id: number; position: number; base: number | null }[]> {
      return sql<{ id: number; position: number; base: number | null }[]>`
        with recursive chain as (
          select id, position, base from state_snapshots where id = ${id}
          union all
          select s.id, s.position, s.base from state_snapshots s join chain c on s.id = c.base
        ) select id::float8 as id, position, base::float8 as base from chain order by position desc`;
    },

    /** The delta rows of the given snapshots. */
    async snapshotEntries(ids: readonly number[]): Promise<{ snapshotId: number; type: string; stateKey: string; eventId: string | null }[]> {
      if (ids.length === 0) return [];
      return sql<{ snapshotId: number; type: string; stateKey: string; eventId: string | null }[]>`
        select snapshot_id::float8 as "snapshotId", type, state_key as "stateKey", event_id as "eventId"
        from state_snapshot_entries where snapshot_id in ${sql(ids as number[])}`;
    },

    /** Rooms where the user's current membership is one of `memberships`. */
    async roomsOfUser(userId: string, memberships: readonly string[]): Promise<string[]> {
      const rows = await sql<{ roomId: string }[]>`select room_id as "roomId" from current_state
        where type = 'm.room.member' and state_key = ${userId} and membership in ${sql(memberships as string[])}`;
      return rows.map((r) => r.roomId);
    },

    async membersOf(roomId: string, membership: string): Promise<string[]> {
      const rows = await sql<{ userId: string }[]>`select state_key as "userId" from current_state
        where room_id = ${roomId} and type = 'm.room.member' and membership = ${membership}`;
      return rows.map((r) => r.userId);
    },

    async forgetRoom(userId: string, roomId: string): Promise<void> {
      await sql`insert into forgotten_rooms (user_id, room_id) values (${userId}, ${roomId}) on conflict do nothing`;
    },

    async maxStreamOrdering(): Promise<number> {
      const [row] = await sql<{ m: number | null }[]>`select max(stream_ordering)::float8 as m from events`;
      return row?.m ?? 0;
    },

    /** The stream position of the user's newest join to the room, or null. */
    async lastJoin(roomId: string, userId: string): Promise<number | null> {
      const [row] = await sql<{ s: number | null }[]>`select max(stream_ordering)::float8 as s from room_memberships
        where room_id = ${roomId} and user_id = ${userId} and membership = 'join'`;
      return row?.s ?? null;
    },

    async transaction(userId: string, deviceId: string, endpoint: string, txnId: string): Promise<{ eventId: string; requestHash: string } | undefined> {
      const [row] = await sql<{ eventId: string; requestHash: string }[]>`
        select event_id as "eventId", request_hash as "requestHash" from event_transactions
        where user_id = ${userId} and device_id = ${deviceId} and endpoint = ${endpoint} and txn_id = ${txnId}`;
      return row;
    },
  };
  return repo;
}

export type EventsRepo = ReturnType<typeof createEventsRepo>;

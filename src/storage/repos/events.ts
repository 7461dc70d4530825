// Events and the per-room rows written with them (schema/rooms.ts): one transaction per
// persisted event, its statements pipelined so the whole write costs about one round trip.
// No Matrix rules here: src/rooms/ decides what to write.
import type { Sql } from "postgres";
import type { Db } from "../db.ts";
import { DuplicateTransactionError } from "../errors.ts";
import { createTableStatistics } from "../table-statistics.ts";

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

/** PostgreSQL text cannot hold NUL: columns copied out of event content drop it (the JSON text keeps it escaped). */
const noNul = <T>(value: T): T => (typeof value === "string" && value.includes("\u0000") ? (value.replaceAll("\u0000", "") as T) : value);

/** The event row and the summary columns with NUL removed from values that came from content. */
function sanitize(write: EventWrite): EventWrite {
  const e = write.event;
  const event = { ...e, membership: noNul(e.membership), relatesTo: noNul(e.relatesTo), relType: noNul(e.relType) };
  const stats = write.stats ? Object.fromEntries(Object.entries(write.stats).map(([k, v]) => [k, noNul(v)])) : undefined;
  const search = write.search ? { key: write.search.key, text: noNul(write.search.text) } : undefined;
  const currentState = write.currentState?.map((c) => ({ ...c, membership: noNul(c.membership) }));
  const membership = write.membership ? { ...write.membership, membership: noNul(write.membership.membership) } : undefined;
  return { ...write, event, stats, search, currentState, membership };
}

/** The columns of an EventRow, for every query that reads events. */
export const EVENT_COLUMNS = `event_id as "eventId", room_id as "roomId", stream_ordering::float8 as "streamOrdering", depth::float8 as depth, type,
  state_key as "stateKey", sender, origin_server_ts::float8 as "originServerTs", json, membership, state_snapshot::float8 as "stateSnapshot",
  replaces_state as "replacesState", redacted_by as "redactedBy", relates_to as "relatesTo", rel_type as "relType",
  rejected_reason as "rejectedReason", outlier, sender_device as "senderDevice", txn_id as "txnId"`;

export function createEventsRepo(db: Db, options: { onError?: (error: unknown) => void } = {}) {
  const sql = db.$client;
  const statistics = createTableStatistics(sql, ["events", "event_search", "room_memberships", "current_state"], options.onError ?? (() => {}));

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

  const repo = {
    sql,
    /** Next position in the event stream (allocated by the process that writes, so it knows what is in flight). */
    nextStreamOrdering: sequence("event_stream_ordering", 100),
    /** Next state snapshot id. */
    nextSnapshotId: sequence("state_snapshots_id_seq", 100),

    /** Writes the event and what goes with it atomically; DuplicateTransactionError when the txn id exists. */
    async persist(write: EventWrite): Promise<void> {
      try {
        const clean = sanitize(write);
        await (isSimple(clean) ? persistSimple(clean) : persistFull(clean));
        statistics.wrote();
      } catch (error) {
        const pgError = error as { code?: string; table_name?: string };
        if (pgError.code === "23505" && pgError.table_name === "event_transactions") {
          throw new DuplicateTransactionError();
        }
        throw error;
      }
    },


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

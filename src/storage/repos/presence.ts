// The presence table (schema/presence.ts): one row per user with their latest presence, written
// in batches; and the shared-room question the presence API asks. No Matrix rules here.
import type { Db } from "../db.ts";

export interface PresenceRow {
  userId: string;
  state: string;
  statusMsg: string | null;
  lastActiveTs: number;
  currentlyActive: boolean;
  streamPosition: number;
}

const COLUMNS = `user_id as "userId", state, status_msg as "statusMsg", last_active_ts::float8 as "lastActiveTs",
  currently_active as "currentlyActive", stream_position::float8 as "streamPosition"`;

export function createPresenceRepo(db: Db) {
  const sql = db.$client;
  return {
    /** Every user whose presence is not offline (loaded at start: they have timeouts to watch). */
    notOffline(): Promise<PresenceRow[]> {
      return sql.unsafe<PresenceRow[]>(`select ${COLUMNS} from presence where state <> 'offline'`);
    },

    /** The rows of these users that changed in (after, upTo]; offline rows only when `includeOffline`. */
    changed(userIds: readonly string[], after: number, upTo: number, includeOffline: boolean): Promise<PresenceRow[]> {
      if (userIds.length === 0) return Promise.resolve([]);
      return sql<PresenceRow[]>`select ${sql.unsafe(COLUMNS)} from presence
        where user_id = any(${userIds as string[]}::text[]) and stream_position > ${after} and stream_position <= ${upTo}
          and (${includeOffline}::bool or state <> 'offline')`;
    },

    /** One user's row, or undefined. */
    async get(userId: string): Promise<PresenceRow | undefined> {
      const [row] = await sql.unsafe<PresenceRow[]>(`select ${COLUMNS} from presence where user_id = $1`, [userId]);
      return row;
    },

    /**
     * Writes these users' presence, each with a new stream position (in one statement), and
     * returns the positions. Callers write one batch at a time, so positions become visible in order.
     */
    async saveChanges(rows: readonly Omit<PresenceRow, "streamPosition">[]): Promise<Map<string, number>> {
      if (rows.length === 0) return new Map();
      // Booleans go as text: postgres.js sends a JS boolean array as one boolean.
      const saved = await sql<{ userId: string; position: number }[]>`
        insert into presence (user_id, state, status_msg, last_active_ts, currently_active)
        select * from unnest(${rows.map((r) => r.userId)}::text[], ${rows.map((r) => r.state)}::text[], ${rows.map((r) => r.statusMsg) as string[]}::text[],
          ${rows.map((r) => r.lastActiveTs)}::bigint[], ${rows.map((r) => String(r.currentlyActive))}::text[]::bool[])
        on conflict (user_id) do update set state = excluded.state, status_msg = excluded.status_msg,
          last_active_ts = excluded.last_active_ts, currently_active = excluded.currently_active,
          stream_position = excluded.stream_position
        returning user_id as "userId", stream_position::float8 as position`;
      return new Map(saved.map((row) => [row.userId, Number(row.position)]));
    },

    /** Stores newer last-active times without a new position (nobody is told about them). */
    async saveLastActive(rows: readonly { userId: string; lastActiveTs: number }[]): Promise<void> {
      if (rows.length === 0) return;
      await sql`update presence p set last_active_ts = greatest(p.last_active_ts, u.ts)
        from unnest(${rows.map((r) => r.userId)}::text[], ${rows.map((r) => r.lastActiveTs)}::bigint[]) as u(user_id, ts)
        where p.user_id = u.user_id`;
    },

    /** The highest position handed out so far (0 before any change). */
    async maxPosition(): Promise<number> {
      const [row] = await sql.unsafe<{ last_value: string; is_called: boolean }[]>(`select last_value, is_called from presence_stream_position`);
      return row?.is_called ? Number(row.last_value) : 0;
    },

    /** Whether the two users are both joined to at least one room (current state). */
    async shareJoinedRoom(a: string, b: string): Promise<boolean> {
      const [row] = await sql.unsafe<{ shared: boolean }[]>(
        `select exists (
           select 1 from current_state x join current_state y on y.room_id = x.room_id
           where x.type = 'm.room.member' and x.state_key = $1 and x.membership = 'join'
             and y.type = 'm.room.member' and y.state_key = $2 and y.membership = 'join'
         ) as shared`,
        [a, b],
      );
      return row?.shared ?? false;
    },
  };
}

export type PresenceRepo = ReturnType<typeof createPresenceRepo>;

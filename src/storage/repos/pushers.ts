// The pushers table (schema/push.ts): what POST /pushers/set stored, and the delivery state
// of each pusher. No Matrix rules here: src/push/pushers.ts validates and decides.
import type { Db } from "../db.ts";

export interface PusherRow {
  id: number;
  userId: string;
  deviceId: string | null;
  kind: string;
  appId: string;
  pushkey: string;
  appDisplayName: string;
  deviceDisplayName: string;
  profileTag: string | null;
  lang: string;
  data: Record<string, unknown>;
  createdTs: number;
}

export type NewPusher = Omit<PusherRow, "id">;

const COLUMNS = `id::float8 as id, user_id as "userId", device_id as "deviceId", kind, app_id as "appId", pushkey,
  app_display_name as "appDisplayName", device_display_name as "deviceDisplayName", profile_tag as "profileTag", lang, data,
  created_ts::float8 as "createdTs"`;

export function createPushersRepo(db: Db) {
  const sql = db.$client;
  // A fresh fragment per query: postgres.js queries are single-use.
  const columns = () => sql.unsafe(COLUMNS);
  return {
    /** Every pusher (delivery keeps them in memory, so an event costs no lookup). */
    all: () => sql<PusherRow[]>`select ${columns()} from pushers order by id`,

    ofUser: (userId: string) => sql<PusherRow[]>`select ${columns()} from pushers where user_id = ${userId} order by id`,

    /**
     * Creates or replaces the user's pusher with this app_id and pushkey; with `removeOthers`,
     * deletes other users' pushers with the same app_id and pushkey in the same transaction.
     * Returns the stored row and the ids of the deleted ones.
     */
    async upsert(pusher: NewPusher, removeOthers: boolean): Promise<{ stored: PusherRow; removed: PusherRow[] }> {
      return sql.begin(async (tx) => {
        const [stored] = await tx<PusherRow[]>`
          insert into pushers (user_id, device_id, kind, app_id, pushkey, app_display_name, device_display_name, profile_tag, lang, data, created_ts)
          values (${pusher.userId}, ${pusher.deviceId}, ${pusher.kind}, ${pusher.appId}, ${pusher.pushkey}, ${pusher.appDisplayName},
            ${pusher.deviceDisplayName}, ${pusher.profileTag}, ${pusher.lang}, ${JSON.stringify(pusher.data)}::jsonb, ${pusher.createdTs})
          on conflict (app_id, pushkey, user_id) do update set device_id = excluded.device_id, kind = excluded.kind,
            app_display_name = excluded.app_display_name, device_display_name = excluded.device_display_name,
            profile_tag = excluded.profile_tag, lang = excluded.lang, data = excluded.data, created_ts = excluded.created_ts,
            failing_since = null, failed_attempts = 0
          returning ${columns()}`;
        const removed = removeOthers
          ? await tx<PusherRow[]>`delete from pushers where app_id = ${pusher.appId} and pushkey = ${pusher.pushkey} and user_id <> ${pusher.userId}
              returning ${columns()}`
          : [];
        return { stored: stored!, removed };
      });
    },

    /** Deletes the user's pusher with this app_id and pushkey; returns it if there was one. */
    async delete(userId: string, appId: string, pushkey: string): Promise<PusherRow | undefined> {
      const [row] = await sql<PusherRow[]>`delete from pushers where user_id = ${userId} and app_id = ${appId} and pushkey = ${pushkey} returning ${columns()}`;
      return row;
    },

    /** Deletes the pushers set from these devices of the user. */
    deleteByDevices: (userId: string, deviceIds: readonly string[]) =>
      sql<PusherRow[]>`delete from pushers where user_id = ${userId} and device_id = any(${deviceIds as string[]}::text[]) returning ${columns()}`,

    /** Deletes every pusher of the user (deactivation). */
    deleteAllOf: (userId: string) => sql<PusherRow[]>`delete from pushers where user_id = ${userId} returning ${columns()}`,

    /** Records a delivery the gateway accepted; false when the pusher no longer exists. */
    async succeeded(id: number, ts: number): Promise<boolean> {
      const rows = await sql`update pushers set last_success_ts = ${ts}, failing_since = null, failed_attempts = 0 where id = ${id} returning id`;
      return rows.length > 0;
    },

    /** Records a failed attempt (the run starts at `since`); false when the pusher no longer exists. */
    async failed(id: number, since: number): Promise<boolean> {
      const rows = await sql`update pushers set failing_since = coalesce(failing_since, ${since}), failed_attempts = failed_attempts + 1
        where id = ${id} returning id`;
      return rows.length > 0;
    },

    /** The delivery state of a pusher (for operators and tests). */
    async deliveryState(id: number): Promise<{ lastSuccessTs: number | null; failingSince: number | null; failedAttempts: number } | undefined> {
      const [row] = await sql<{ lastSuccessTs: number | null; failingSince: number | null; failedAttempts: number }[]>`
        select last_success_ts::float8 as "lastSuccessTs", failing_since::float8 as "failingSince", failed_attempts as "failedAttempts"
        from pushers where id = ${id}`;
      return row;
    },
  };
}

export type PushersRepo = ReturnType<typeof createPushersRepo>;

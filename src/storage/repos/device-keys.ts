// Device keys, one-time and fallback keys, and the device list stream (schema/e2ee-keys.ts).
// Raw postgres.js: the batch reads and the claim are single statements over arrays.
import type { Db } from "../db.ts";
import { inStreamOrder } from "../ordered-writes.ts";

export interface DeviceKeysRow {
  userId: string;
  deviceId: string;
  keys: Record<string, unknown>;
  displayName: string | null;
}

export interface KeyRow {
  userId: string;
  deviceId: string;
  algorithm: string;
  keyId: string;
  key: unknown;
}

const STREAM = "device_list_stream_position";

export function createDeviceKeysRepo(db: Db) {
  const sql = db.$client;
  return {
    async getDeviceKeys(userId: string, deviceId: string): Promise<Record<string, unknown> | null> {
      const [row] = await sql<{ keys: Record<string, unknown> }[]>`select keys from device_keys where user_id = ${userId} and device_id = ${deviceId}`;
      return row?.keys ?? null;
    },

    /** Stores a device's keys once; false when the device already has keys. */
    async insertDeviceKeys(userId: string, deviceId: string, keys: Record<string, unknown>): Promise<boolean> {
      const rows = await sql`insert into device_keys (user_id, device_id, keys) values (${userId}, ${deviceId}, ${JSON.stringify(keys)}::jsonb)
        on conflict do nothing returning 1`;
      return rows.length > 0;
    },

    /** Every device with keys of these users, in one statement (with the devices' display names). */
    async deviceKeysOf(userIds: readonly string[]): Promise<DeviceKeysRow[]> {
      if (userIds.length === 0) return [];
      return sql<DeviceKeysRow[]>`select k.user_id as "userId", k.device_id as "deviceId", k.keys, d.display_name as "displayName"
        from device_keys k left join devices d on d.user_id = k.user_id and d.device_id = k.device_id
        where k.user_id = any(${userIds as string[]}::text[])`;
    },

    /** The stored one-time keys of a device among these (algorithm, key id) pairs. */
    async existingOneTimeKeys(userId: string, deviceId: string, keys: readonly { algorithm: string; keyId: string }[]): Promise<KeyRow[]> {
      if (keys.length === 0) return [];
      return sql<KeyRow[]>`select user_id as "userId", device_id as "deviceId", algorithm, key_id as "keyId", key from one_time_keys
        where user_id = ${userId} and device_id = ${deviceId}
        and (algorithm, key_id) in (select * from unnest(${keys.map((k) => k.algorithm)}::text[], ${keys.map((k) => k.keyId)}::text[]))`;
    },

    async insertOneTimeKeys(userId: string, deviceId: string, keys: readonly { algorithm: string; keyId: string; key: unknown }[]): Promise<void> {
      if (keys.length === 0) return;
      await sql`insert into one_time_keys (user_id, device_id, algorithm, key_id, key)
        select ${userId}, ${deviceId}, a, k, j from unnest(${keys.map((k) => k.algorithm)}::text[], ${keys.map((k) => k.keyId)}::text[],
          ${keys.map((k) => JSON.stringify(k.key))}::jsonb[]) as t(a, k, j)
        on conflict do nothing`;
    },

    async oneTimeKeyCounts(userId: string, deviceId: string): Promise<Record<string, number>> {
      const rows = await sql<{ algorithm: string; n: number }[]>`select algorithm, count(*)::int as n from one_time_keys
        where user_id = ${userId} and device_id = ${deviceId} group by algorithm`;
      return Object.fromEntries(rows.map((r) => [r.algorithm, r.n]));
    },

    /** Replaces the device's fallback key of the algorithm; re-uploading the same key keeps its `used` flag. */
    async setFallbackKey(userId: string, deviceId: string, algorithm: string, keyId: string, key: unknown): Promise<void> {
      const json = JSON.stringify(key);
      await sql`insert into fallback_keys (user_id, device_id, algorithm, key_id, key, used) values (${userId}, ${deviceId}, ${algorithm}, ${keyId}, ${json}::jsonb, false)
        on conflict (user_id, device_id, algorithm) do update set key_id = excluded.key_id, key = excluded.key,
          used = fallback_keys.used and fallback_keys.key_id = excluded.key_id and fallback_keys.key = excluded.key`;
    },

    async unusedFallbackKeyTypes(userId: string, deviceId: string): Promise<string[]> {
      const rows = await sql<{ algorithm: string }[]>`select algorithm from fallback_keys where user_id = ${userId} and device_id = ${deviceId} and not used order by algorithm`;
      return rows.map((r) => r.algorithm);
    },

    /**
     * Claims one one-time key per (user, device, algorithm) in one statement: each key row is
     * locked and deleted by exactly one claim (`for update skip locked`), so concurrent claims
     * never hand out the same key.
     */
    async claimOneTimeKeys(requests: readonly { userId: string; deviceId: string; algorithm: string }[]): Promise<KeyRow[]> {
      if (requests.length === 0) return [];
      return sql<KeyRow[]>`with req as (
          select * from unnest(${requests.map((r) => r.userId)}::text[], ${requests.map((r) => r.deviceId)}::text[], ${requests.map((r) => r.algorithm)}::text[]) as r(u, d, a)
        ), picked as (
          select o.ctid as id from req cross join lateral (
            select ctid from one_time_keys where user_id = req.u and device_id = req.d and algorithm = req.a order by key_id limit 1 for update skip locked
          ) o
        )
        delete from one_time_keys where ctid in (select id from picked)
        returning user_id as "userId", device_id as "deviceId", algorithm, key_id as "keyId", key`;
    },

    /** The fallback keys of these (user, device, algorithm), marked used. */
    async claimFallbackKeys(requests: readonly { userId: string; deviceId: string; algorithm: string }[]): Promise<KeyRow[]> {
      if (requests.length === 0) return [];
      return sql<KeyRow[]>`update fallback_keys set used = true
        where (user_id, device_id, algorithm) in (select * from unnest(${requests.map((r) => r.userId)}::text[], ${requests.map((r) => r.deviceId)}::text[], ${requests.map((r) => r.algorithm)}::text[]))
        returning user_id as "userId", device_id as "deviceId", algorithm, key_id as "keyId", key`;
    },

    /** Drops every key of deleted devices. */
    async deleteDevices(userId: string, deviceIds: readonly string[]): Promise<void> {
      const ids = deviceIds as string[];
      await sql.begin(async (tx) => {
        await tx`delete from device_keys where user_id = ${userId} and device_id = any(${ids}::text[])`;
        await tx`delete from one_time_keys where user_id = ${userId} and device_id = any(${ids}::text[])`;
        await tx`delete from fallback_keys where user_id = ${userId} and device_id = any(${ids}::text[])`;
      });
    },

    /** Appends a change of the user's device list; returns its stream position. */
    async recordDeviceListChange(userId: string): Promise<number> {
      return inStreamOrder(STREAM, async () => {
        const [row] = await sql<{ position: string }[]>`insert into device_list_changes (user_id) values (${userId}) returning position`;
        return Number(row!.position);
      });
    },

    async maxPosition(): Promise<number> {
      const [row] = await sql<{ last_value: string; is_called: boolean }[]>`select last_value, is_called from device_list_stream_position`;
      return row?.is_called ? Number(row.last_value) : 0;
    },

    /** Membership changes in these rooms in (after, upTo] (joins and departures of members). */
    async membershipChanges(roomIds: readonly string[], after: number, upTo: number): Promise<{ roomId: string; userId: string; membership: string }[]> {
      if (roomIds.length === 0 || after >= upTo) return [];
      return sql<{ roomId: string; userId: string; membership: string }[]>`select room_id as "roomId", user_id as "userId", membership from room_memberships
        where room_id = any(${roomIds as string[]}::text[]) and stream_ordering > ${after} and stream_ordering <= ${upTo}
        order by stream_ordering`;
    },

    /** Members joined now to rooms `userId` left (or was banned from) in (after, upTo] and is not joined to now. */
    async membersOfRoomsLeft(userId: string, after: number, upTo: number): Promise<string[]> {
      if (after >= upTo) return [];
      const rows = await sql<{ userId: string }[]>`select distinct c.state_key as "userId" from room_memberships m
        join current_state c on c.room_id = m.room_id and c.type = 'm.room.member' and c.membership = 'join'
        where m.user_id = ${userId} and m.membership in ('leave', 'ban') and m.stream_ordering > ${after} and m.stream_ordering <= ${upTo}
        and not exists (select 1 from current_state s where s.room_id = m.room_id and s.type = 'm.room.member' and s.state_key = ${userId} and s.membership = 'join')`;
      return rows.map((r) => r.userId);
    },

    async joinedRooms(userId: string): Promise<string[]> {
      const rows = await sql<{ roomId: string }[]>`select room_id as "roomId" from current_state
        where type = 'm.room.member' and state_key = ${userId} and membership = 'join'`;
      return rows.map((r) => r.roomId);
    },

    /** Users whose devices or keys changed in (after, upTo] (a range of the stream's primary key). */
    async usersChangedBetween(after: number, upTo: number): Promise<string[]> {
      if (after >= upTo) return [];
      const rows = await sql<{ userId: string }[]>`select distinct user_id as "userId" from device_list_changes
        where position > ${after} and position <= ${upTo}`;
      return rows.map((r) => r.userId);
    },

    /** Those of `userIds` joined to any of these rooms now (read from the users' side: few users, many rooms). */
    async joinedToAny(userIds: readonly string[], roomIds: readonly string[]): Promise<string[]> {
      if (userIds.length === 0 || roomIds.length === 0) return [];
      const rows = await sql<{ userId: string }[]>`select distinct state_key as "userId" from current_state
        where type = 'm.room.member' and membership = 'join' and state_key = any(${userIds as string[]}::text[])
          and room_id = any(${roomIds as string[]}::text[])`;
      return rows.map((r) => r.userId);
    },

    /** Users joined to any of these rooms now. */
    async joinedUsers(roomIds: readonly string[]): Promise<string[]> {
      if (roomIds.length === 0) return [];
      const rows = await sql<{ userId: string }[]>`select distinct state_key as "userId" from current_state
        where room_id = any(${roomIds as string[]}::text[]) and type = 'm.room.member' and membership = 'join'`;
      return rows.map((r) => r.userId);
    },
  };
}

export type DeviceKeysRepo = ReturnType<typeof createDeviceKeysRepo>;

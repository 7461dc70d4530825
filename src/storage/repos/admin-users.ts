// Reads for Synapse's user admin API (src/auth/admin-users.ts): accounts with their profile,
// erasure and last-seen columns, filtered and ordered as operators ask; a user's media and
// account data. No Matrix rules here.
import type { Db } from "../db.ts";

/** One account as the admin API lists it. */
export interface AdminUserRow {
  name: string;
  isGuest: boolean;
  admin: boolean;
  deactivated: boolean;
  erased: boolean;
  locked: boolean;
  suspended: boolean;
  displayname: string | null;
  avatarUrl: string | null;
  creationTs: number;
  lastSeenTs: number | null;
}

export interface UserListQuery {
  from: number;
  limit: number;
  /** Column to order by, from USER_ORDER_COLUMNS. */
  orderBy: keyof typeof USER_ORDER_COLUMNS;
  descending: boolean;
  /** Substring of the user id (ignored when `name` is given). */
  userId?: string;
  /** Substring of the localpart or the display name. */
  name?: string;
  guests?: boolean;
  /** true: deactivated only; false: active only; undefined: both. */
  deactivated?: boolean;
  admins?: boolean;
  /** Include locked accounts (Synapse leaves them out unless asked). */
  locked?: boolean;
}

/** Synapse's order_by values; those naming columns Myelin lacks (user_type, shadow_banned) order by name alone. */
export const USER_ORDER_COLUMNS = {
  name: "name", is_guest: `"isGuest"`, admin: "admin", user_type: "name", deactivated: "deactivated", shadow_banned: "name",
  displayname: "displayname", avatar_url: `"avatarUrl"`, creation_ts: `"creationTs"`, last_seen_ts: `"lastSeenTs"`,
} as const;

const USER_COLUMNS = `u.user_id as name, u.is_guest as "isGuest", u.is_admin as admin, u.deactivated, u.locked, u.suspended,
  (e.user_id is not null) as erased, p.fields->>'displayname' as displayname, p.fields->>'avatar_url' as "avatarUrl",
  u.created_ts::float8 as "creationTs",
  (select max(d.last_seen_ts)::float8 from devices d where d.user_id = u.user_id) as "lastSeenTs"`;
const USER_FROM = `users u left join profiles p on p.user_id = u.user_id left join erased_users e on e.user_id = u.user_id`;

/** `text` as a LIKE pattern matching it anywhere, its wildcards escaped. */
export const containsPattern = (text: string) => `%${text.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;

export interface MediaListQuery {
  from: number;
  limit: number;
  orderBy: keyof typeof MEDIA_ORDER_COLUMNS;
  descending: boolean;
}

/** Synapse's order_by values and their columns. */
export const MEDIA_ORDER_COLUMNS = {
  media_id: `media_id collate "C"`, upload_name: "upload_name", created_ts: "created_ts", last_access_ts: "last_access_ts",
  media_length: "size", media_type: "content_type", quarantined_by: "quarantined_by", safe_from_quarantine: "safe_from_quarantine",
} as const;

export interface AdminMediaRow {
  mediaId: string;
  createdTs: number;
  lastAccessTs: number | null;
  mediaLength: number;
  mediaType: string;
  uploadName: string | null;
  quarantinedBy: string | null;
  safeFromQuarantine: boolean;
}

export function createAdminUsersRepo(db: Db) {
  const sql = db.$client;
  return {
    async user(userId: string): Promise<AdminUserRow | undefined> {
      const [row] = await sql.unsafe<AdminUserRow[]>(`select ${USER_COLUMNS} from ${USER_FROM} where u.user_id = $1`, [userId]);
      return row;
    },

    /** One page of accounts and how many match in all. */
    async list(query: UserListQuery): Promise<{ users: AdminUserRow[]; total: number }> {
      const where: string[] = [];
      const params: unknown[] = [];
      const param = (value: unknown) => `$${params.push(value)}`;
      if (query.name !== undefined) {
        const pattern = param(containsPattern(query.name));
        where.push(`(split_part(substr(u.user_id, 2), ':', 1) ilike ${pattern} or p.fields->>'displayname' ilike ${pattern})`);
      } else if (query.userId !== undefined) {
        where.push(`u.user_id ilike ${param(containsPattern(query.userId))}`);
      }
      if (query.guests === false) where.push("not u.is_guest");
      if (query.deactivated !== undefined) where.push(`u.deactivated = ${param(query.deactivated)}`);
      if (query.admins !== undefined) where.push(`u.is_admin = ${param(query.admins)}`);
      if (!query.locked) where.push("not u.locked");
      const filter = where.length > 0 ? `where ${where.join(" and ")}` : "";
      const [count] = await sql.unsafe<{ n: number }[]>(`select count(*)::int as n from ${USER_FROM} ${filter}`, params as never[]);
      const direction = query.descending ? "desc" : "asc";
      const users = await sql.unsafe<AdminUserRow[]>(
        `select * from (select ${USER_COLUMNS} from ${USER_FROM} ${filter}) listed
         order by ${USER_ORDER_COLUMNS[query.orderBy]} ${direction}, name ${direction} offset ${param(query.from)} limit ${param(query.limit)}`,
        params as never[],
      );
      return { users, total: count!.n };
    },

    /** Clears the deactivated flag (the admin API's reactivation; the password is set separately). */
    async reactivate(userId: string): Promise<void> {
      await sql`update users set deactivated = false where user_id = ${userId}`;
    },

    /** Every account data document of a user: room "" is global. */
    async accountData(userId: string): Promise<{ roomId: string; type: string; content: Record<string, unknown> }[]> {
      return sql<{ roomId: string; type: string; content: Record<string, unknown> }[]>`
        select room_id as "roomId", type, content from account_data where user_id = ${userId} order by room_id, type`;
    },

    /** One page of the media a user uploaded (pending uploads without content are left out). */
    async media(userId: string, query: MediaListQuery): Promise<{ media: AdminMediaRow[]; total: number }> {
      const where = "user_id = $1 and uploaded_ts is not null";
      const [count] = await sql.unsafe<{ n: number }[]>(`select count(*)::int as n from local_media where ${where}`, [userId]);
      const direction = query.descending ? "desc" : "asc";
      const media = await sql.unsafe<AdminMediaRow[]>(
        `select media_id as "mediaId", created_ts::float8 as "createdTs", last_access_ts::float8 as "lastAccessTs", size::float8 as "mediaLength",
           content_type as "mediaType", upload_name as "uploadName", quarantined_by as "quarantinedBy",
           safe_from_quarantine as "safeFromQuarantine" from local_media where ${where}
         order by ${MEDIA_ORDER_COLUMNS[query.orderBy]} ${direction}, media_id collate "C" asc offset $2 limit $3`,
        [userId, query.from, query.limit],
      );
      return { media, total: count!.n };
    },
  };
}

export type AdminUsersRepo = ReturnType<typeof createAdminUsersRepo>;

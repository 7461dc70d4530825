// Local media as Synapse's media admin API changes it: quarantine, protection, deletion by
// id, age and size, or uploader. No Matrix rules here.
import type { Db } from "../db.ts";

export function createAdminMediaRepo(db: Db) {
  const sql = db.$client;
  return {
    async exists(mediaId: string): Promise<boolean> {
      return (await sql`select 1 from local_media where media_id = ${mediaId}`).length === 1;
    },
    /** Quarantines media that is not protected; the number changed. */
    async quarantine(mediaIds: readonly string[], admin: string): Promise<number> {
      if (mediaIds.length === 0) return 0;
      return (await sql`update local_media set quarantined_by = ${admin}
        where media_id = any(${mediaIds as string[]}) and not safe_from_quarantine and quarantined_by is null returning media_id`).length;
    },
    async unquarantine(mediaId: string): Promise<void> {
      await sql`update local_media set quarantined_by = null where media_id = ${mediaId}`;
    },
    async setProtected(mediaId: string, value: boolean): Promise<void> {
      await sql`update local_media set safe_from_quarantine = ${value} where media_id = ${mediaId}`;
    },
    async ofUser(userId: string): Promise<string[]> {
      return (await sql<{ id: string }[]>`select media_id as id from local_media where user_id = ${userId}`).map((row) => row.id);
    },
    /**
     * The local media ids a room's events point at (content.url, content.info.thumbnail_url,
     * m.room.avatar's url), from `mxc://<serverName>/` URIs.
     */
    async inRoom(roomId: string, serverName: string): Promise<string[]> {
      const prefix = `mxc://${serverName}/`;
      const rows = await sql<{ uri: string }[]>`
        select distinct uri from events e,
          lateral (values (e.json::jsonb->'content'->>'url'), (e.json::jsonb->'content'->'info'->>'thumbnail_url')) as u(uri)
        where e.room_id = ${roomId} and e.redacted_by is null and uri like ${`${prefix}%`}`;
      return rows.map((row) => row.uri.slice(prefix.length));
    },
    /**
     * Media last used (downloaded, else uploaded) before `beforeTs` and larger than `sizeGt`,
     * not protected; with `keepProfiles`, not a user's or a room's avatar.
     */
    async unusedSince(beforeTs: number, sizeGt: number, keepProfiles: boolean, serverName: string): Promise<string[]> {
      const avatars = keepProfiles
        ? sql`and not exists (select 1 from profiles p where p.fields->>'avatar_url' = ${`mxc://${serverName}/`} || m.media_id)
              and not exists (select 1 from room_stats s where s.avatar_url = ${`mxc://${serverName}/`} || m.media_id)`
        : sql``;
      const rows = await sql<{ id: string }[]>`select media_id as id from local_media m
        where coalesce(last_access_ts, uploaded_ts, created_ts) < ${beforeTs} and coalesce(size, 0) > ${sizeGt} and not safe_from_quarantine ${avatars}`;
      return rows.map((row) => row.id);
    },
    /** Deletes the rows (thumbnails cascade); the ids deleted. */
    async delete(mediaIds: readonly string[]): Promise<string[]> {
      if (mediaIds.length === 0) return [];
      return (await sql<{ id: string }[]>`delete from local_media where media_id = any(${mediaIds as string[]}) returning media_id as id`).map((row) => row.id);
    },
  };
}

export type AdminMediaRepo = ReturnType<typeof createAdminMediaRepo>;

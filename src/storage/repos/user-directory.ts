// The user directory query (POST /user_directory/search): who the searcher may find, matched
// on user id and display name, in one statement. No Matrix rules here: src/rooms/user-directory.ts
// parses the term and picks the options.
import type { Db } from "../db.ts";

export interface DirectoryUser {
  userId: string;
  displayName: string | null;
  avatarUrl: string | null;
}

export interface DirectoryQuery {
  /** Excluded from the results. */
  searcher: string;
  /** Lowercase runs of letters and digits; each must start a word of the user id or display name. */
  words: readonly string[];
  /** Rows to return (the caller asks one more than it shows, to know whether it is limited). */
  limit: number;
  /** Every local user, besides those the searcher shares a room with or who are in public rooms. */
  allLocalUsers: boolean;
}

export function createUserDirectoryRepo(db: Db) {
  const sql = db.$client;
  return {
    /**
     * Candidates: members joined to a room the searcher is joined to, or to a room with a public
     * join rule or world-readable history (and every local user when `allLocalUsers`). Local
     * users take their profile from `profiles`, others from their member event; deactivated
     * users are left out. Ranked: exact match, then a user id or name that starts with the first
     * word, then users with a display name and an avatar.
     * Case folding is PostgreSQL's lower(), which under the C locale folds ASCII only.
     */
    async search(query: DirectoryQuery): Promise<DirectoryUser[]> {
      const everyone = query.allLocalUsers ? "union all select user_id, null from users where not is_guest" : "";
      const words = query.words as string[];
      return sql.unsafe<DirectoryUser[]>(
        `with seen_rooms as (
           select room_id from current_state where type = 'm.room.member' and state_key = $1 and membership = 'join'
           union
           select room_id from room_stats where join_rule = 'public' or history_visibility = 'world_readable'
         ), candidates as (
           select user_id, max(member_event) as member_event from (
             select m.state_key as user_id, m.event_id as member_event from current_state m join seen_rooms r using (room_id)
             where m.type = 'm.room.member' and m.membership = 'join'
             ${everyone}
           ) c where user_id <> $1 group by user_id
         ), profiled as (
           select c.user_id,
             case when u.user_id is null then member.content ->> 'displayname' else p.fields ->> 'displayname' end as display_name,
             case when u.user_id is null then member.content ->> 'avatar_url' else p.fields ->> 'avatar_url' end as avatar_url
           from candidates c
           left join users u on u.user_id = c.user_id
           left join profiles p on p.user_id = c.user_id
           left join lateral (select e.json::jsonb -> 'content' as content from events e where u.user_id is null and e.event_id = c.member_event) member on true
           where u.user_id is null or not u.deactivated
         ), matched as (
           select *, lower(user_id) as id_folded, lower(coalesce(display_name, '')) as name_folded from profiled
         )
         select user_id as "userId", display_name as "displayName", avatar_url as "avatarUrl" from matched
         where not exists (
           select 1 from unnest($2::text[]) w
           where not (id_folded ~ ('(^|[^[:alnum:]])' || w) or name_folded ~ ('(^|[^[:alnum:]])' || w))
         )
         order by
           (split_part(substr(id_folded, 2), ':', 1) = $3 or name_folded = $3) desc,
           (substr(id_folded, 2) like $4 or name_folded like $4) desc,
           display_name is null, avatar_url is null, user_id
         limit $5`,
        [query.searcher, words, words.join(" "), `${words[0] ?? ""}%`, query.limit],
      );
    },
  };
}

export type UserDirectoryRepo = ReturnType<typeof createUserDirectoryRepo>;

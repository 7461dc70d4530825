// The user directory: finding users by user id or display name among those the searcher may
// see (sharing a room, or in a public or world-readable room), or among all local users.
// https://spec.matrix.org/v1.19/client-server-api/#user-directory
import type { UserDirectoryRepo } from "../storage/repos/user-directory.ts";

export interface UserDirectoryOptions {
  /** Synapse's user_directory.enabled: when false every search returns nothing. */
  enabled: boolean;
  /** Synapse's user_directory.search_all_users. */
  searchAllUsers: boolean;
}

export interface UserDirectoryResult {
  results: { user_id: string; display_name?: string; avatar_url?: string }[];
  limited: boolean;
}

export interface UserDirectory {
  search(searcher: string, term: string, limit?: number): Promise<UserDirectoryResult>;
}

/** Results when the request names no limit (the spec's default). */
const DEFAULT_LIMIT = 10;
/** Limit: results per search, whatever the request asks (Synapse's cap too). */
const MAX_LIMIT = 50;
/** Limit: words of the search term used; more would only cost database time. */
const MAX_WORDS = 10;

export function createUserDirectory(deps: { repo: UserDirectoryRepo; options: UserDirectoryOptions }): UserDirectory {
  const { repo, options } = deps;
  return {
    async search(searcher, term, requested = DEFAULT_LIMIT) {
      const limit = Math.min(requested, MAX_LIMIT);
      // Words are runs of letters and digits: "@alice:example.org" searches alice, example, org.
      const words = [...new Set(term.normalize("NFKC").toLowerCase().match(/[\p{L}\p{N}]+/gu) ?? [])].slice(0, MAX_WORDS);
      if (!options.enabled || words.length === 0) return { results: [], limited: false };
      const rows = await repo.search({ searcher, words, limit: limit + 1, allLocalUsers: options.searchAllUsers });
      return {
        results: rows.slice(0, limit).map((row) => ({
          user_id: row.userId,
          ...(row.displayName !== null ? { display_name: row.displayName } : {}),
          ...(row.avatarUrl !== null ? { avatar_url: row.avatarUrl } : {}),
        })),
        limited: rows.length > limit,
      };
    },
  };
}

// Answering other servers' queries about this server's users and aliases.
// https://spec.matrix.org/v1.19/server-server-api/#querying-for-information
// Ids of other servers are refused with 400, as Synapse does ("not hosted on this homeserver").
// Limits: every server may look up every profile (Synapse's allow_profile_lookup_over_federation,
// on); limit_profile_requests_to_users_who_share_rooms applies to the client API only (Synapse
// says the same) and is not built there either.
import type { Profiles } from "../auth/profiles.ts";
import { isLocalUser } from "../auth/user-id-checks.ts";
import { MatrixError } from "../protocol/matrix-error.ts";
import { aliasServer, type RoomDirectory } from "../rooms/directory.ts";

const missing = (name: string) => new MatrixError(400, "M_MISSING_PARAM", `Missing query parameter ${name}`);

export function createQueryAnswers(deps: { serverName: string; profiles: Pick<Profiles, "get" | "getField">; directory: Pick<RoomDirectory, "lookupAlias"> }) {
  return {
    /** GET /_matrix/federation/v1/query/profile: the whole public profile, or one field (404 when unset). */
    async profile(userId: string | undefined, field: string | undefined): Promise<Record<string, unknown>> {
      if (userId === undefined) throw missing("user_id");
      if (!isLocalUser(userId, deps.serverName)) throw new MatrixError(400, "M_INVALID_PARAM", "User is not hosted on this homeserver");
      return field === undefined ? deps.profiles.get(userId) : deps.profiles.getField(userId, field);
    },

    /** GET /_matrix/federation/v1/query/directory: the room of one of our aliases and servers in it (ours first). */
    async directory(alias: string | undefined): Promise<{ room_id: string; servers: string[] }> {
      if (alias === undefined) throw missing("room_alias");
      if (aliasServer(alias) !== deps.serverName) throw new MatrixError(400, "M_INVALID_PARAM", "Room alias is not hosted on this homeserver");
      return deps.directory.lookupAlias(alias);
    },
  };
}

export type QueryAnswers = ReturnType<typeof createQueryAnswers>;

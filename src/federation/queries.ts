// Queries the client API makes of other servers: profiles of their users and their room aliases.
// https://spec.matrix.org/v1.19/server-server-api/#querying-for-information
// Errors as Synapse answers its clients: the remote's 404 and 403 pass through; a server that
// cannot be reached, or answers anything else, is 502 M_UNKNOWN.
import type { RemoteProfiles } from "../auth/profiles.ts";
import { MatrixError } from "../protocol/matrix-error.ts";
import type { JsonObject } from "../protocol/signed-json.ts";
import { isServerName } from "../protocol/identifiers.ts";
import type { RemoteAliases } from "../rooms/directory.ts";
import { FederationRequestError, type FederationTransport } from "./transport.ts";

/** Limit: how long a client waits for another server's answer to a query (the client timeout is 60 s). */
export const REMOTE_QUERY_TIMEOUT_MS = 10_000;
/** Limit: how long another server's profile answer is reused (Synapse asks each time; clients ask for the same users often). */
export const REMOTE_PROFILE_CACHE_MS = 60_000;
/** Limit: remote profiles kept in that cache (the oldest go first). */
export const REMOTE_PROFILE_CACHE_ENTRIES = 10_000;

const isObject = (value: unknown): value is JsonObject => typeof value === "object" && value !== null && !Array.isArray(value);
const serverOf = (id: string) => id.slice(id.indexOf(":") + 1);

/** The MatrixError a client sees for a failed query of `destination`. */
function relayed(error: unknown, what: string): MatrixError {
  if (error instanceof FederationRequestError && (error.status === 404 || error.status === 403)) {
    return new MatrixError(error.status, error.status === 404 ? "M_NOT_FOUND" : "M_FORBIDDEN", `${error.destination}: ${what} not available`);
  }
  return new MatrixError(502, "M_UNKNOWN", `Failed to fetch ${what}`);
}

/** The fields of a remote profile answer worth passing on: displayname and avatar_url only as strings. */
function cleanProfile(answer: unknown): JsonObject {
  if (!isObject(answer)) throw new MatrixError(502, "M_UNKNOWN", "Failed to fetch profile");
  const profile: JsonObject = {};
  for (const [key, value] of Object.entries(answer)) {
    if ((key === "displayname" || key === "avatar_url") && typeof value !== "string") continue;
    if (value !== null) profile[key] = value;
  }
  return profile;
}

/** GET /_matrix/federation/v1/query/profile for users of other servers, with a short cache. */
export function createRemoteProfiles(deps: { transport: FederationTransport; now?: () => number }): RemoteProfiles {
  const now = deps.now ?? Date.now;
  const cache = new Map<string, { profile: JsonObject; until: number }>();
  return {
    async profile(userId) {
      const cached = cache.get(userId);
      if (cached && cached.until > now()) return cached.profile;
      let answer: unknown;
      try {
        answer = await deps.transport.signed(serverOf(userId), {
          method: "GET", path: "/_matrix/federation/v1/query/profile", query: { user_id: userId }, timeoutMs: REMOTE_QUERY_TIMEOUT_MS,
        });
      } catch (error) {
        throw relayed(error, "profile");
      }
      const profile = cleanProfile(answer);
      cache.delete(userId);
      cache.set(userId, { profile, until: now() + REMOTE_PROFILE_CACHE_MS });
      if (cache.size > REMOTE_PROFILE_CACHE_ENTRIES) cache.delete(cache.keys().next().value!);
      return profile;
    },
  };
}

/** GET /_matrix/federation/v1/query/directory for aliases of other servers (no cache: aliases move). */
export function createRemoteAliases(deps: { transport: FederationTransport }): RemoteAliases {
  return {
    async resolve(alias) {
      let answer: unknown;
      try {
        answer = await deps.transport.signed(serverOf(alias), {
          method: "GET", path: "/_matrix/federation/v1/query/directory", query: { room_alias: alias }, timeoutMs: REMOTE_QUERY_TIMEOUT_MS,
        });
      } catch (error) {
        // As Synapse: the alias's server saying it has none is "not found"; any other failure is 502.
        if (error instanceof FederationRequestError && error.status === 404) return null;
        throw new MatrixError(502, "M_UNKNOWN", "Failed to fetch alias");
      }
      // As Synapse: an answer without a room id and servers is no answer.
      if (!isObject(answer) || typeof answer.room_id !== "string" || !answer.room_id.startsWith("!") || !Array.isArray(answer.servers)) return null;
      return { room_id: answer.room_id, servers: answer.servers.filter((s): s is string => typeof s === "string" && isServerName(s)) };
    },
  };
}

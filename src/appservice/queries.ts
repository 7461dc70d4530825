// The homeserver asks application services about users and aliases in their namespaces that do
// not exist yet; an AS that answers 200 has just created them (registered the user, made the
// room and its alias). Injected into rooms as small hooks (rooms may not import appservice).
// https://spec.matrix.org/v1.19/application-service-api/#querying
// https://spec.matrix.org/v1.19/application-service-api/#get_matrixappv1usersuserid
// https://spec.matrix.org/v1.19/application-service-api/#get_matrixappv1roomsroomalias
import type { AppServiceRegistration, AppServiceRegistry } from "../auth/appservice-registry.ts";
import type { Logger } from "../log/logger.ts";
import type { AppServiceClient } from "../auth/appservice-client.ts";

/** Limit: how long an application service may take to answer a query (the request waits for it). */
export const QUERY_TIMEOUT_MS = 10_000;

export interface AppServiceQueries {
  /**
   * A user in some AS's user namespace that does not exist: asks those AS (exclusive owner first)
   * until one answers 200. True when one did and the user exists now; false when there was
   * nobody to ask, the user existed already, or no AS created it.
   */
  queryUser(userId: string): Promise<boolean>;
  /** An alias of this server in some AS's alias namespace that does not resolve: as queryUser. */
  queryAlias(alias: string): Promise<boolean>;
}

export function createAppServiceQueries(deps: {
  registry: Pick<AppServiceRegistry, "all" | "ownsUser" | "matchesAlias">;
  userExists(userId: string): Promise<boolean>;
  log: Logger;
  client: AppServiceClient;
}): AppServiceQueries {

  /** Asks each registration in turn (exclusive namespaces first, as they own the id) until one answers 200. */
  async function ask(candidates: AppServiceRegistration[], exclusive: (r: AppServiceRegistration) => boolean, path: string): Promise<boolean> {
    const ordered = [...candidates.filter(exclusive), ...candidates.filter((r) => !exclusive(r))];
    for (const registration of ordered) {
      try {
        const answer = await deps.client.call(registration, "GET", path, undefined, { timeoutMs: QUERY_TIMEOUT_MS });
        if (answer.status === 200) return true;
      } catch (error) {
        // Unreachable or slow: as "not found" (the query is a courtesy, the request goes on).
        deps.log.warn("application service query failed", { appservice: registration.id, path, error: String(error) });
      }
    }
    return false;
  }

  return {
    async queryUser(userId) {
      const candidates = deps.registry.all().filter((r) => r.url !== null && r.namespaces.users.some((n) => n.regex.test(userId)));
      if (candidates.length === 0 || (await deps.userExists(userId))) return false;
      const exclusive = (r: AppServiceRegistration) => r.namespaces.users.some((n) => n.exclusive && n.regex.test(userId));
      return (await ask(candidates, exclusive, `/_matrix/app/v1/users/${encodeURIComponent(userId)}`)) && deps.userExists(userId);
    },
    async queryAlias(alias) {
      const candidates = deps.registry.all().filter((r) => r.url !== null && deps.registry.matchesAlias(r, alias));
      const exclusive = (r: AppServiceRegistration) => r.namespaces.aliases.some((n) => n.exclusive && n.regex.test(alias));
      return ask(candidates, exclusive, `/_matrix/app/v1/rooms/${encodeURIComponent(alias)}`);
    },
  };
}

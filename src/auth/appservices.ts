// Application service registration files (Synapse's `app_service_config_files`): parsed and
// checked once at start, then the registry every module asks, and who an as_token acts as.
// https://spec.matrix.org/v1.19/application-service-api/#registration
// https://spec.matrix.org/v1.19/application-service-api/#identity-assertion
import { readFileSync } from "node:fs";
import { parse as parseYaml } from "yaml";
import { ConfigError } from "../config/load.ts";
import { MatrixError } from "../protocol/matrix-error.ts";
import type { AccountsRepo } from "../storage/repos/accounts.ts";
import type { AppServiceNamespace, AppServiceRegistration, AppServiceRegistry } from "./appservice-registry.ts";
import { hashToken } from "./tokens.ts";
import { MAX_USER_ID_LENGTH, userIdOf } from "./user-ids.ts";

export type { AppServiceRegistration, AppServiceRegistry } from "./appservice-registry.ts";

/** Historical user id characters (https://spec.matrix.org/v1.19/appendices/#historical-user-ids): what an AS may still use. */
const HISTORICAL_LOCALPART = /^[\x21-\x39\x3B-\x7E]+$/;

/** Whether `localpart` may be the localpart of a user an AS registers (or its sender). */
export const isAppServiceLocalpart = (localpart: string, serverName: string) =>
  HISTORICAL_LOCALPART.test(localpart) && userIdOf(localpart, serverName).length <= MAX_USER_ID_LENGTH;

/** One registration file's mapping, checked key by key; `fail` names the file and key. */
export function parseRegistration(raw: unknown, serverName: string, fail: (key: string, problem: string) => never): AppServiceRegistration {
  if (typeof raw !== "object" || raw === null || Array.isArray(raw)) fail("(top level)", "must be a mapping");
  const file = raw as Record<string, unknown>;
  const text = (key: string): string => {
    const value = file[key];
    if (typeof value !== "string" || value.length === 0) fail(key, value === undefined ? "missing" : "must be a non-empty string");
    return value;
  };
  const flag = (key: string, fallback: boolean): boolean => {
    const value = file[key];
    if (value === undefined || value === null) return fallback;
    if (typeof value !== "boolean") fail(key, "must be true or false");
    return value;
  };
  const id = text("id");
  const asToken = text("as_token");
  const hsToken = text("hs_token");
  const senderLocalpart = text("sender_localpart");
  if (!isAppServiceLocalpart(senderLocalpart, serverName)) fail("sender_localpart", "is not a valid user id localpart");
  if (!("url" in file)) fail("url", "missing (null when the AS receives no traffic)");
  const url = file.url;
  if (url !== null) {
    if (typeof url !== "string" || !/^https?:\/\//i.test(url) || !URL.canParse(url)) fail("url", "must be an http(s) URL or null");
  }
  const namespacesRaw = file.namespaces;
  if (typeof namespacesRaw !== "object" || namespacesRaw === null || Array.isArray(namespacesRaw)) fail("namespaces", "must be a mapping");
  const namespaceList = (kind: "users" | "aliases" | "rooms"): AppServiceNamespace[] => {
    const list = (namespacesRaw as Record<string, unknown>)[kind];
    if (list === undefined || list === null) return [];
    if (!Array.isArray(list)) fail(`namespaces.${kind}`, "must be a list");
    return list.map((entry: unknown, i) => {
      const key = `namespaces.${kind}[${i}]`;
      if (typeof entry !== "object" || entry === null) fail(key, "must be a mapping with regex and exclusive");
      const { regex, exclusive } = entry as Record<string, unknown>;
      if (typeof regex !== "string") fail(`${key}.regex`, "must be a string");
      if (typeof exclusive !== "boolean") fail(`${key}.exclusive`, "must be true or false");
      try {
        // Anchored to the whole value, so "@_irc_.*" cannot match "@x:example.org/@_irc_y".
        return { exclusive, regex: new RegExp(`^(?:${regex})$`) };
      } catch (error) {
        return fail(`${key}.regex`, `invalid regular expression: ${(error as Error).message}`);
      }
    });
  };
  const protocols = file.protocols ?? [];
  if (!Array.isArray(protocols) || protocols.some((p) => typeof p !== "string")) fail("protocols", "must be a list of strings");
  return {
    id, url: url as string | null, asToken, hsToken, senderLocalpart,
    namespaces: { users: namespaceList("users"), aliases: namespaceList("aliases"), rooms: namespaceList("rooms") },
    rateLimited: flag("rate_limited", true),
    protocols: protocols as string[],
    // MSC2409's unstable name is what bridges written before v1.13 send.
    receiveEphemeral: flag("receive_ephemeral", false) || flag("de.sorunome.msc2409.push_ephemeral", false),
  };
}

/** The registry over checked registrations: ids and as_tokens must be unique (the spec's MUST). */
export function createAppServiceRegistry(registrations: readonly AppServiceRegistration[], serverName: string): AppServiceRegistry {
  const byToken = new Map(registrations.map((r) => [r.asToken, r]));
  const byId = new Map(registrations.map((r) => [r.id, r]));
  const suffix = `:${serverName}`;
  const isLocal = (userId: string) => userId.startsWith("@") && userId.endsWith(suffix);
  const matches = (namespaces: readonly AppServiceNamespace[], value: string) => namespaces.some((ns) => ns.regex.test(value));
  const exclusivelyMatches = (namespaces: readonly AppServiceNamespace[], value: string) => namespaces.some((ns) => ns.exclusive && ns.regex.test(value));
  const senderOf = (r: AppServiceRegistration) => userIdOf(r.senderLocalpart, serverName);
  return {
    all: () => registrations,
    byAsToken: (token) => byToken.get(token),
    byId: (id) => byId.get(id),
    senderOf,
    // Users of other servers never match a user namespace (the spec's note on `users`).
    ownsUser: (r, userId) => userId === senderOf(r) || (isLocal(userId) && matches(r.namespaces.users, userId)),
    exclusiveOwnerOfUser: (userId) => (isLocal(userId) ? registrations.find((r) => exclusivelyMatches(r.namespaces.users, userId)) : undefined),
    exclusiveOwnerOfAlias: (alias) => registrations.find((r) => exclusivelyMatches(r.namespaces.aliases, alias)),
    matchesAlias: (r, alias) => matches(r.namespaces.aliases, alias),
    matchesRoom: (r, roomId) => matches(r.namespaces.rooms, roomId),
  };
}

/**
 * Reads `app_service_config_files` (absolute paths, resolved by config/verify.ts) into a registry.
 * Any problem is one ConfigError line naming the file and the key.
 */
export function loadAppServices(paths: readonly string[], serverName: string): AppServiceRegistry {
  const registrations: AppServiceRegistration[] = [];
  const owners = new Map<string, string>();
  for (const path of paths) {
    const fail = (key: string, problem: string): never => {
      throw new ConfigError(`app_service_config_files: ${path}: ${key}: ${problem}`);
    };
    let text: string;
    let raw: unknown;
    try {
      text = readFileSync(path, "utf8");
    } catch (error) {
      throw new ConfigError(`app_service_config_files: ${path}: cannot read (${(error as NodeJS.ErrnoException).code ?? error})`);
    }
    try {
      raw = parseYaml(text);
    } catch (error) {
      throw new ConfigError(`app_service_config_files: ${path}: not valid YAML: ${String((error as Error).message).split("\n")[0]}`);
    }
    const registration = parseRegistration(raw, serverName, fail);
    const claims: [string, string][] = [[`id ${registration.id}`, "id"], [`token ${registration.asToken}`, "as_token"], [`token ${registration.hsToken}`, "hs_token"]];
    if (registration.asToken === registration.hsToken) fail("hs_token", "must differ from as_token");
    for (const [claim, key] of claims) {
      const other = owners.get(claim);
      if (other !== undefined) fail(key, `already used by ${other}`);
      owners.set(claim, path);
    }
    registrations.push(registration);
  }
  return createAppServiceRegistry(registrations, serverName);
}

/**
 * At start: each AS's sender user exists (Synapse creates it too), and no as_token is also some
 * user's access token, which would make that token ambiguous.
 */
export async function prepareAppServiceUsers(registry: AppServiceRegistry, repo: Pick<AccountsRepo, "createUser" | "findAccessToken">, now: () => number): Promise<void> {
  for (const registration of registry.all()) {
    if (await repo.findAccessToken(hashToken(registration.asToken))) {
      throw new ConfigError(`app_service_config_files: ${registration.id}: as_token: is also a user's access token`);
    }
    await repo.createUser({ userId: registry.senderOf(registration), passwordHash: null, isAdmin: false, isGuest: false, createdTs: now() });
  }
}

/** Who an as_token request acts as, after identity assertion. */
export interface AppServiceIdentity {
  appserviceId: string;
  userId: string;
  deviceId: string | null;
  /** rate_limited: false, or the AS's own sender (the spec: "the sender is excluded"). */
  rateLimitExempt: boolean;
}

/** Limit: users known to exist cached for identity assertion; past it the cache starts over. */
const MAX_KNOWN_USERS = 100_000;

export function createAppServiceIdentities(deps: { registry: AppServiceRegistry; repo: Pick<AccountsRepo, "getUser" | "getDevice"> }) {
  // Users are never deleted (deactivation keeps the row), so "exists" can be cached for good.
  const known = new Set<string>();
  return {
    /**
     * `?user_id=` must be the sender or in the AS's user namespaces and exist (registration,
     * which creates it, does not come here); `?device_id=` must be a device of that user.
     */
    async identify(registration: AppServiceRegistration, query: URLSearchParams): Promise<AppServiceIdentity> {
      const sender = deps.registry.senderOf(registration);
      const userId = query.get("user_id") ?? sender;
      if (!deps.registry.ownsUser(registration, userId)) throw new MatrixError(403, "M_FORBIDDEN", "Application service cannot masquerade as this user");
      if (!known.has(userId)) {
        if (!(await deps.repo.getUser(userId))) throw new MatrixError(403, "M_FORBIDDEN", "Application service has not registered this user");
        if (known.size >= MAX_KNOWN_USERS) known.clear();
        known.add(userId);
      }
      const deviceId = query.get("device_id");
      if (deviceId !== null && !(await deps.repo.getDevice(userId, deviceId))) {
        throw new MatrixError(400, "M_UNKNOWN_DEVICE", "Unknown device for this user");
      }
      return { appserviceId: registration.id, userId, deviceId, rateLimitExempt: !registration.rateLimited || userId === sender };
    },
  };
}

export type AppServiceIdentities = ReturnType<typeof createAppServiceIdentities>;

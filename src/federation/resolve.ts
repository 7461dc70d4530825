// Server discovery: which host and port to connect to for a server name, which Host header to
// send and which name its certificate must hold, as the spec's numbered steps.
// https://spec.matrix.org/v1.19/server-server-api/#resolving-server-names
// Address (A/AAAA) lookups and the IP policy happen in the client, at connection time.
import { resolveSrv as systemResolveSrv, lookup as systemLookup } from "node:dns/promises";
import { isIP } from "node:net";
import { parseServerName } from "../protocol/identifiers.ts";

/** The default federation port, when neither the name nor SRV gives one. */
export const DEFAULT_FEDERATION_PORT = 8448;

// Caching of /.well-known/matrix/server answers, with Synapse's bounds (well_known_resolver.py).
/** Limit: how long a valid answer without cache headers is kept (the spec's recommended 24 h). */
export const WELL_KNOWN_DEFAULT_CACHE_MS = 24 * 3600_000;
/** Limit: the longest a valid answer is kept, whatever its headers say (the spec's 48 h). */
export const WELL_KNOWN_MAX_CACHE_MS = 48 * 3600_000;
/** Limit: the shortest a valid answer is kept, whatever its headers say. */
export const WELL_KNOWN_MIN_CACHE_MS = 5 * 60_000;
/** Limit: how long an invalid answer or an unreachable host is remembered as "no delegation". */
export const WELL_KNOWN_INVALID_CACHE_MS = 3600_000;
/** Limit: how long a fetch failure is remembered for a host that answered validly recently. */
export const WELL_KNOWN_DOWN_CACHE_MS = 2 * 60_000;
/** How long a host counts as "answered validly recently". */
export const WELL_KNOWN_REMEMBER_VALID_MS = 2 * 3600_000;
/** Limit: a larger well-known body is ignored (treated as invalid). */
export const WELL_KNOWN_MAX_BYTES = 50 * 1024;
/** Limit: redirects followed for one well-known lookup (the spec says follow 30x, avoid loops). */
export const WELL_KNOWN_MAX_REDIRECTS = 5;
/** Limit: hosts whose well-known outcome is cached; the oldest entry goes first. */
export const WELL_KNOWN_CACHE_ENTRIES = 10_000;

export interface SrvRecord {
  name: string;
  port: number;
  priority: number;
  weight: number;
}

/** The DNS the resolver and client use (node:dns by default; tests pass their own). */
export interface Dns {
  /** SRV records; an empty list (or ENOTFOUND/ENODATA) when there are none. */
  resolveSrv(name: string): Promise<SrvRecord[]>;
  /** Every A and AAAA address of a host name. */
  lookup(host: string): Promise<string[]>;
}

export const systemDns: Dns = {
  resolveSrv: (name) => systemResolveSrv(name),
  lookup: async (host) => (await systemLookup(host, { all: true })).map((entry) => entry.address),
};

/** One answer of an HTTPS GET, as the well-known fetch needs it. */
export interface FetchedAnswer {
  status: number;
  headers: Headers;
  /** The body, or null when it was over the size limit given. */
  body: Uint8Array | null;
}

/** Makes one HTTPS GET (no redirects followed) under the outbound IP policy; throws when unreachable. */
export type HttpsGet = (url: URL, maxBytes: number) => Promise<FetchedAnswer>;

export interface ServerAddress {
  /** A host name to look up, or an IP address (IPv6 without brackets). */
  host: string;
  port: number;
}

export interface ResolvedServer {
  /** Where to connect, most preferred first (several only from SRV). */
  targets: ServerAddress[];
  /** The Host header of requests. */
  hostHeader: string;
  /** The name the certificate must be valid for, sent as SNI unless it is an IP address. */
  tlsName: string;
}

/** Where a plain https URL (a well-known file, a media Location) is fetched: its host and port, named as in the URL. */
export function serverOfUrl(url: URL): ResolvedServer {
  const host = url.hostname.replace(/^\[|\]$/g, "");
  return { targets: [{ host, port: url.port ? Number(url.port) : 443 }], hostHeader: url.host, tlsName: host };
}

export class ResolveError extends Error {
  override name = "ResolveError";
}

const bare = (host: string) => host.replace(/^\[|\]$/g, "");
const isIpLiteral = (host: string) => isIP(bare(host)) !== 0;

export interface ServerResolver {
  resolve(serverName: string): Promise<ResolvedServer>;
}

export function createServerResolver(deps: { dns: Dns; httpsGet: HttpsGet; now?: () => number; random?: () => number }): ServerResolver {
  const now = deps.now ?? Date.now;
  const random = deps.random ?? Math.random;
  /** Host -> its delegated server name (null: none) and until when that holds. */
  const wellKnownCache = new Map<string, { delegated: string | null; until: number }>();
  const validUntil = new Map<string, number>();
  /** Lookups under way: concurrent requests to one host share its fetch. */
  const inFlight = new Map<string, Promise<string | null>>();

  /** Steps 3.3-3.4 and 4-5: _matrix-fed._tcp, then the deprecated _matrix._tcp. */
  async function srvTargets(hostname: string): Promise<ServerAddress[] | null> {
    for (const service of ["_matrix-fed._tcp", "_matrix._tcp"]) {
      let records: SrvRecord[];
      try {
        records = await deps.dns.resolveSrv(`${service}.${hostname}`);
      } catch (error) {
        const code = (error as { code?: string }).code;
        if (code === "ENOTFOUND" || code === "ENODATA") continue;
        throw new ResolveError(`SRV lookup of ${service}.${hostname} failed: ${code ?? error}`);
      }
      if (records.length === 0) continue;
      // RFC 2782: a single record with target "." says the service is decidedly not available.
      if (records.length === 1 && (records[0]!.name === "." || records[0]!.name === "")) {
        throw new ResolveError(`${service}.${hostname} says the service is not available`);
      }
      return orderSrv(records, random).map((record) => ({ host: record.name.replace(/\.$/, ""), port: record.port }));
    }
    return null;
  }

  /** Step 3's fetch: the delegated server name, or null when the answer is missing or invalid. */
  function wellKnown(hostname: string): Promise<string | null> {
    const cached = wellKnownCache.get(hostname);
    if (cached && cached.until > now()) return Promise.resolve(cached.delegated);
    let lookup = inFlight.get(hostname);
    if (!lookup) {
      lookup = refreshWellKnown(hostname).finally(() => inFlight.delete(hostname));
      inFlight.set(hostname, lookup);
    }
    return lookup;
  }

  async function refreshWellKnown(hostname: string): Promise<string | null> {
    let outcome: { delegated: string | null; cacheMs: number };
    try {
      outcome = await fetchWellKnown(hostname);
    } catch {
      // Unreachable: a host that answered validly a moment ago is retried sooner.
      const recentlyValid = (validUntil.get(hostname) ?? 0) > now();
      outcome = { delegated: null, cacheMs: recentlyValid ? WELL_KNOWN_DOWN_CACHE_MS : WELL_KNOWN_INVALID_CACHE_MS * jitter(random) };
    }
    if (outcome.delegated !== null) validUntil.set(hostname, now() + WELL_KNOWN_REMEMBER_VALID_MS);
    wellKnownCache.delete(hostname);
    if (wellKnownCache.size >= WELL_KNOWN_CACHE_ENTRIES) wellKnownCache.delete(wellKnownCache.keys().next().value!);
    wellKnownCache.set(hostname, { delegated: outcome.delegated, until: now() + outcome.cacheMs });
    return outcome.delegated;
  }

  async function fetchWellKnown(hostname: string): Promise<{ delegated: string | null; cacheMs: number }> {
    const invalid = { delegated: null, cacheMs: WELL_KNOWN_INVALID_CACHE_MS * jitter(random) };
    let url = new URL(`https://${hostname}/.well-known/matrix/server`);
    const seen = new Set<string>();
    for (let redirects = 0; ; redirects++) {
      seen.add(url.href);
      const answer = await deps.httpsGet(url, WELL_KNOWN_MAX_BYTES);
      const location = answer.headers.get("location");
      if (answer.status >= 300 && answer.status < 400 && location) {
        const next = URL.parse(location, url.href);
        if (!next || next.protocol !== "https:" || seen.has(next.href) || redirects >= WELL_KNOWN_MAX_REDIRECTS) return invalid;
        url = next;
        continue;
      }
      if (answer.status !== 200 || answer.body === null) return invalid;
      const delegated = delegatedName(answer.body);
      if (delegated === null) return invalid;
      return { delegated, cacheMs: cachePeriod(answer.headers, now(), random) };
    }
  }

  return {
    async resolve(serverName) {
      const parsed = parseServerName(serverName);
      if (!parsed) throw new ResolveError(`${JSON.stringify(serverName)} is not a server name`);
      const host = bare(parsed.host);
      // Step 1: an IP literal, with its port or 8448; the certificate must hold the IP.
      if (isIpLiteral(host)) return { targets: [{ host, port: parsed.port ?? DEFAULT_FEDERATION_PORT }], hostHeader: serverName, tlsName: host };
      // Step 2: a host name with a port.
      if (parsed.port !== undefined) return { targets: [{ host, port: parsed.port }], hostHeader: serverName, tlsName: host };
      // Step 3: /.well-known/matrix/server.
      const delegated = await wellKnown(host);
      if (delegated !== null) {
        const target = parseServerName(delegated)!;
        const delegatedHost = bare(target.host);
        // 3.1 and 3.2: an IP literal, or a host name with a port; Host is the delegated name.
        if (isIpLiteral(delegatedHost) || target.port !== undefined) {
          return { targets: [{ host: delegatedHost, port: target.port ?? DEFAULT_FEDERATION_PORT }], hostHeader: delegated, tlsName: delegatedHost };
        }
        // 3.3 to 3.5: SRV records of the delegated name, else its port 8448.
        const srv = await srvTargets(delegatedHost);
        return { targets: srv ?? [{ host: delegatedHost, port: DEFAULT_FEDERATION_PORT }], hostHeader: delegatedHost, tlsName: delegatedHost };
      }
      // Steps 4 to 6: SRV records of the name itself, else its port 8448.
      const srv = await srvTargets(host);
      return { targets: srv ?? [{ host, port: DEFAULT_FEDERATION_PORT }], hostHeader: host, tlsName: host };
    },
  };
}

const utf8 = new TextDecoder("utf-8", { fatal: true });

/** The `m.server` of a well-known body, if the body is a JSON object holding a valid server name. */
function delegatedName(body: Uint8Array): string | null {
  try {
    const value = JSON.parse(utf8.decode(body)) as unknown;
    const server = typeof value === "object" && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>)["m.server"] : undefined;
    return typeof server === "string" && parseServerName(server) ? server : null;
  } catch {
    return null;
  }
}

/** Spreads expiries so that many hosts do not expire at once (Synapse's ±10 %). */
const jitter = (random: () => number) => 0.9 + 0.2 * random();

/** How long to keep a valid answer: Cache-Control max-age or Expires, within Synapse's bounds. */
export function cachePeriod(headers: Headers, now: number, random: () => number = Math.random): number {
  const cacheControl = (headers.get("cache-control") ?? "").toLowerCase();
  let period: number | null = null;
  if (/(^|[,\s])no-store($|[,\s])/.test(cacheControl)) period = 0;
  else {
    const maxAge = /(?:^|[,\s])max-age=(\d+)/.exec(cacheControl);
    if (maxAge) period = Number(maxAge[1]) * 1000;
    else {
      const expires = headers.get("expires");
      const at = expires === null ? NaN : Date.parse(expires);
      if (!Number.isNaN(at)) period = at - now;
    }
  }
  if (period === null) return WELL_KNOWN_DEFAULT_CACHE_MS * jitter(random);
  return Math.max(WELL_KNOWN_MIN_CACHE_MS, Math.min(period, WELL_KNOWN_MAX_CACHE_MS));
}

/** RFC 2782 order: lowest priority first; within one priority, a random pick weighted by weight. */
function orderSrv(records: SrvRecord[], random: () => number): SrvRecord[] {
  const ordered: SrvRecord[] = [];
  const priorities = [...new Set(records.map((record) => record.priority))].sort((a, b) => a - b);
  for (const priority of priorities) {
    const pool = records.filter((record) => record.priority === priority);
    while (pool.length > 0) {
      const total = pool.reduce((sum, record) => sum + record.weight, 0);
      let pick = random() * total;
      let index = pool.findIndex((record) => (pick -= record.weight) < 0);
      if (index < 0) index = 0;
      ordered.push(pool.splice(index, 1)[0]!);
    }
  }
  return ordered;
}

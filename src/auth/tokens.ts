// Access and refresh tokens: opaque random strings, stored as sha256 hashes, looked up through
// an in-memory cache that every revocation clears at once.
// https://spec.matrix.org/v1.19/client-server-api/#client-authentication
// https://spec.matrix.org/v1.19/client-server-api/#refreshing-access-tokens
import type { DeviceEvents } from "./device-events.ts";
import { createHash, randomBytes } from "node:crypto";
import { MatrixError } from "../protocol/matrix-error.ts";
import type { AccountsRepo } from "../storage/repos/accounts.ts";
import type { LastSeen } from "./last-seen.ts";

/** The caller behind a valid access token. */
export interface TokenOwner {
  userId: string;
  deviceId: string;
  isGuest: boolean;
  /** Locked by an admin (spec: account locking): the resolver refuses all but logout. */
  locked?: boolean;
}

interface CacheEntry extends TokenOwner {
  expiresTs: number | null;
  refreshTokenId: number | null;
}

export interface IssuedTokens {
  accessToken: string;
  /** Only when the client asked for a refresh token. */
  refreshToken?: string;
  /** Only when the access token expires. */
  expiresInMs?: number;
}

export interface TokenLifetimes {
  /** Access tokens of sessions with refresh tokens (refreshable_access_token_lifetime), ms. */
  refreshableAccessMs: number;
  /** Refresh tokens (refresh_token_lifetime), ms; null: never expire. */
  refreshMs: number | null;
  /** Access tokens without refresh tokens (nonrefreshable_access_token_lifetime), ms; null: never. */
  nonRefreshableAccessMs: number | null;
}

/** Limit: cached token lookups; past it the cache starts over (a miss costs one indexed query). */
const MAX_CACHED = 100_000;

export const hashToken = (token: string) => createHash("sha256").update(token).digest("hex");
const newToken = (prefix: string) => `${prefix}_${randomBytes(32).toString("base64url")}`;

const unknownToken = (softLogout: boolean) =>
  new MatrixError(401, "M_UNKNOWN_TOKEN", softLogout ? "Access token has expired" : "Unknown access token", { soft_logout: softLogout });

/** The token of a request: `Authorization: Bearer`, else the deprecated `access_token` query parameter. */
export function tokenFromRequest(request: Request): string | null {
  const header = request.headers.get("authorization");
  if (header !== null) {
    const match = /^Bearer\s+(\S+)\s*$/i.exec(header);
    if (!match) throw new MatrixError(401, "M_MISSING_TOKEN", "Authorization header is not a Bearer token");
    return match[1]!;
  }
  return new URL(request.url).searchParams.get("access_token");
}

export function createTokens(options: { repo: AccountsRepo; lifetimes: TokenLifetimes; lastSeen?: LastSeen; now?: () => number; deviceEvents?: DeviceEvents }) {
  const { repo, lifetimes, lastSeen } = options;
  const now = options.now ?? Date.now;
  const cache = new Map<string, CacheEntry>();
  const byUser = new Map<string, Set<string>>();

  const remember = (hash: string, entry: CacheEntry) => {
    if (cache.size >= MAX_CACHED) {
      cache.clear();
      byUser.clear();
    }
    cache.set(hash, entry);
    let hashes = byUser.get(entry.userId);
    if (!hashes) byUser.set(entry.userId, (hashes = new Set()));
    hashes.add(hash);
  };

  /** Drops cached tokens of a user matching `which` (all of them by default). */
  const forget = (userId: string, which: (entry: CacheEntry) => boolean = () => true) => {
    const hashes = byUser.get(userId);
    if (!hashes) return;
    for (const hash of hashes) {
      const entry = cache.get(hash);
      if (!entry || which(entry)) {
        cache.delete(hash);
        hashes.delete(hash);
      }
    }
    if (hashes.size === 0) byUser.delete(userId);
  };

  async function load(hash: string): Promise<CacheEntry | null> {
    const row = await repo.findAccessToken(hash);
    if (!row || row.deactivated) return null;
    if (row.refreshTokenId !== null) {
      // First use of a token from /refresh: its predecessor refresh token (and the access
      // tokens issued with it) are now revoked, as the spec's rotation requires.
      const predecessors = await repo.deletePredecessorRefreshTokens(row.refreshTokenId);
      if (predecessors.length > 0) forget(row.userId, (entry) => entry.refreshTokenId !== null && predecessors.includes(entry.refreshTokenId));
    }
    return { userId: row.userId, deviceId: row.deviceId, isGuest: row.isGuest, locked: row.locked, expiresTs: row.expiresTs, refreshTokenId: row.refreshTokenId };
  }

  async function issueFor(userId: string, deviceId: string, withRefresh: boolean): Promise<IssuedTokens & { refreshTokenId: number | null }> {
    const accessToken = newToken("myt");
    const t = now();
    const accessMs = withRefresh ? lifetimes.refreshableAccessMs : lifetimes.nonRefreshableAccessMs;
    let refreshToken: string | undefined;
    let refreshTokenId: number | null = null;
    if (withRefresh) {
      refreshToken = newToken("myr");
      refreshTokenId = await repo.insertRefreshToken({
        tokenHash: hashToken(refreshToken), userId, deviceId, expiresTs: lifetimes.refreshMs === null ? null : t + lifetimes.refreshMs,
      });
    }
    await repo.insertAccessToken({
      tokenHash: hashToken(accessToken), userId, deviceId, refreshTokenId, createdTs: t, expiresTs: accessMs === null ? null : t + accessMs,
    });
    return { accessToken, refreshToken, expiresInMs: accessMs ?? undefined, refreshTokenId };
  }

  return {
    /** Who owns `token`, or throws 401 M_UNKNOWN_TOKEN (soft_logout when only expired). */
    async resolve(token: string, seen?: { ip: string; userAgent: string | null }): Promise<TokenOwner> {
      const hash = hashToken(token);
      let entry = cache.get(hash);
      if (!entry) {
        const loaded = await load(hash);
        if (!loaded) throw unknownToken(false);
        remember(hash, (entry = loaded));
      }
      if (entry.expiresTs !== null && entry.expiresTs <= now()) throw unknownToken(true);
      if (seen) lastSeen?.record(entry.userId, entry.deviceId, seen.ip, seen.userAgent);
      return { userId: entry.userId, deviceId: entry.deviceId, isGuest: entry.isGuest, locked: entry.locked };
    },

    /** New tokens for a device that exists (see sessions.ts), with a refresh token when asked. */
    async issue(userId: string, deviceId: string, withRefresh: boolean): Promise<IssuedTokens> {
      const { refreshTokenId: _, ...issued } = await issueFor(userId, deviceId, withRefresh);
      return issued;
    },

    /**
     * POST /refresh: a new access and refresh token for a refresh token. The old refresh token
     * stays usable until the new pair is used (then it is revoked, see load()).
     */
    async refresh(refreshToken: string): Promise<IssuedTokens> {
      const row = await repo.findRefreshToken(hashToken(refreshToken));
      if (!row) throw unknownToken(false);
      if (row.expiresTs !== null && row.expiresTs <= now()) throw unknownToken(true);
      if (row.nextTokenId !== null) {
        // A retry: the successor was issued but never used. Revoke it and issue anew.
        await repo.deleteRefreshTokens([row.nextTokenId]);
        forget(row.userId, (entry) => entry.refreshTokenId === row.nextTokenId);
      }
      const issued = await issueFor(row.userId, row.deviceId, true);
      await repo.setNextRefreshToken(row.id, issued.refreshTokenId!);
      const { refreshTokenId: _, ...tokens } = issued;
      return tokens;
    },

    /** Logs out one access token (POST /logout deletes its device: see sessions.ts). */
    async revokeToken(token: string): Promise<void> {
      const hash = hashToken(token);
      const entry = cache.get(hash);
      await repo.deleteAccessToken(hash);
      if (entry) forget(entry.userId, (candidate) => candidate === entry);
    },

    /** Drops the cached tokens of some devices; call after deleting the devices or their tokens. */
    forgetDevices(userId: string, deviceIds: readonly string[]): void {
      const set = new Set(deviceIds);
      forget(userId, (entry) => set.has(entry.deviceId));
    },

    /** Drops every cached token of a user; call after deleting devices, deactivation, and so on. */
    forgetUser(userId: string): void {
      forget(userId);
    },

    /** Deletes devices with their tokens and clears the cache for them (DELETE /devices, /delete_devices). */
    async deleteDevices(userId: string, deviceIds: readonly string[]): Promise<void> {
      await repo.deleteDevices(userId, deviceIds);
      forget(userId, (entry) => deviceIds.includes(entry.deviceId));
      await options.deviceEvents?.deleted(userId, deviceIds);
    },

    /** Deletes every device of a user but `keep` (logout/all, password change with logout_devices). */
    async deleteAllDevices(userId: string, keep?: string): Promise<string[]> {
      const deleted = await repo.deleteAllDevices(userId, keep);
      forget(userId, (entry) => entry.deviceId !== keep);
      await options.deviceEvents?.deleted(userId, deleted);
      return deleted;
    },
  };
}

export type Tokens = ReturnType<typeof createTokens>;

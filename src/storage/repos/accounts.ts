// Users, devices and tokens: typed queries, no Matrix rules (those live in src/auth/).
import { and, eq, inArray, ne, sql } from "drizzle-orm";
import type { Db } from "../db.ts";
import { accessTokens, devices, refreshTokens, users } from "../schema/accounts.ts";

export type UserRow = typeof users.$inferSelect;
export type DeviceRow = typeof devices.$inferSelect;

/** What a token lookup needs: the token's owner and the flags that decide access. */
export interface AccessTokenRow {
  id: number;
  userId: string;
  deviceId: string;
  expiresTs: number | null;
  refreshTokenId: number | null;
  isGuest: boolean;
  deactivated: boolean;
  locked: boolean;
}

export function createAccountsRepo(db: Db) {
  return {
    /** Inserts a user; false when the id is taken (case-sensitive, ids are stored lowercased). */
    async createUser(row: typeof users.$inferInsert): Promise<boolean> {
      const inserted = await db.insert(users).values(row).onConflictDoNothing().returning({ userId: users.userId });
      return inserted.length === 1;
    },

    async getUser(userId: string): Promise<UserRow | undefined> {
      const [row] = await db.select().from(users).where(eq(users.userId, userId));
      return row;
    },

    /** Turns a guest into a full account with a password; false when the user is not a guest. */
    async upgradeGuest(userId: string, passwordHash: string): Promise<boolean> {
      const updated = await db
        .update(users)
        .set({ passwordHash, isGuest: false })
        .where(and(eq(users.userId, userId), eq(users.isGuest, true)))
        .returning({ userId: users.userId });
      return updated.length === 1;
    },

    async setPasswordHash(userId: string, passwordHash: string | null): Promise<void> {
      await db.update(users).set({ passwordHash }).where(eq(users.userId, userId));
    },

    /** Marks deactivated and forgets the password; devices (and with them tokens) are deleted. */
    /** Marks the user deactivated and deletes their devices; returns the deleted devices' ids. */
    async deactivateUser(userId: string): Promise<string[]> {
      return db.transaction(async (tx) => {
        await tx.update(users).set({ deactivated: true, passwordHash: null }).where(eq(users.userId, userId));
        const deleted = await tx.delete(devices).where(eq(devices.userId, userId)).returning({ deviceId: devices.deviceId });
        return deleted.map((d) => d.deviceId);
      });
    },

    async setAdmin(userId: string, isAdmin: boolean): Promise<void> {
      await db.update(users).set({ isAdmin }).where(eq(users.userId, userId));
    },

    /** Creates the device or, when it exists (a re-login with the same device_id), keeps it. */
    async upsertDevice(userId: string, deviceId: string, displayName: string | null, now: number): Promise<void> {
      await db.insert(devices).values({ userId, deviceId, displayName, createdTs: now }).onConflictDoNothing();
    },

    async getDevice(userId: string, deviceId: string): Promise<DeviceRow | undefined> {
      const [row] = await db.select().from(devices).where(and(eq(devices.userId, userId), eq(devices.deviceId, deviceId)));
      return row;
    },

    async listDevices(userId: string): Promise<DeviceRow[]> {
      return db.select().from(devices).where(eq(devices.userId, userId)).orderBy(devices.deviceId);
    },

    /** False when the device does not exist. */
    async setDeviceDisplayName(userId: string, deviceId: string, displayName: string | null): Promise<boolean> {
      const updated = await db.update(devices).set({ displayName })
        .where(and(eq(devices.userId, userId), eq(devices.deviceId, deviceId))).returning({ deviceId: devices.deviceId });
      return updated.length === 1;
    },

    /** Deletes devices and, by cascade, their tokens. Callers also clear the token cache (auth/tokens.ts). */
    async deleteDevices(userId: string, deviceIds: readonly string[]): Promise<void> {
      if (deviceIds.length === 0) return;
      await db.delete(devices).where(and(eq(devices.userId, userId), inArray(devices.deviceId, [...deviceIds])));
    },

    /** Deletes every device of a user except `keep` (if given); returns the deleted ids. */
    async deleteAllDevices(userId: string, keep?: string): Promise<string[]> {
      const where = keep === undefined ? eq(devices.userId, userId) : and(eq(devices.userId, userId), ne(devices.deviceId, keep));
      const deleted = await db.delete(devices).where(where).returning({ deviceId: devices.deviceId });
      return deleted.map((row) => row.deviceId);
    },

    /** Records last-seen data for many devices in one statement. */
    async updateLastSeen(entries: readonly { userId: string; deviceId: string; ip: string; ts: number; userAgent: string | null }[]): Promise<void> {
      if (entries.length === 0) return;
      const values = sql.join(entries.map((e) => sql`(${e.userId}, ${e.deviceId}, ${e.ip}, ${e.ts}::bigint, ${e.userAgent})`), sql`, `);
      await db.execute(sql`update devices as d set last_seen_ip = v.ip, last_seen_ts = v.ts, last_seen_user_agent = v.ua
        from (values ${values}) as v(user_id, device_id, ip, ts, ua)
        where d.user_id = v.user_id and d.device_id = v.device_id`);
    },

    async insertAccessToken(row: typeof accessTokens.$inferInsert): Promise<number> {
      const [inserted] = await db.insert(accessTokens).values(row).returning({ id: accessTokens.id });
      return inserted!.id;
    },

    async findAccessToken(tokenHash: string): Promise<AccessTokenRow | undefined> {
      const [row] = await db
        .select({
          id: accessTokens.id, userId: accessTokens.userId, deviceId: accessTokens.deviceId, expiresTs: accessTokens.expiresTs,
          refreshTokenId: accessTokens.refreshTokenId, isGuest: users.isGuest, deactivated: users.deactivated,
          locked: users.locked,
        })
        .from(accessTokens)
        .innerJoin(users, eq(users.userId, accessTokens.userId))
        .where(eq(accessTokens.tokenHash, tokenHash));
      return row;
    },

    /** Deletes one access token; returns its hash's row or undefined. */
    async deleteAccessToken(tokenHash: string): Promise<void> {
      await db.delete(accessTokens).where(eq(accessTokens.tokenHash, tokenHash));
    },

    /** Deletes every access and refresh token of one device, keeping the device. */
    async deleteTokensOfDevice(userId: string, deviceId: string): Promise<void> {
      await db.transaction(async (tx) => {
        await tx.delete(accessTokens).where(and(eq(accessTokens.userId, userId), eq(accessTokens.deviceId, deviceId)));
        await tx.delete(refreshTokens).where(and(eq(refreshTokens.userId, userId), eq(refreshTokens.deviceId, deviceId)));
      });
    },

    async insertRefreshToken(row: typeof refreshTokens.$inferInsert): Promise<number> {
      const [inserted] = await db.insert(refreshTokens).values(row).returning({ id: refreshTokens.id });
      return inserted!.id;
    },

    async findRefreshToken(tokenHash: string) {
      const [row] = await db.select().from(refreshTokens).where(eq(refreshTokens.tokenHash, tokenHash));
      return row;
    },

    async getRefreshToken(id: number) {
      const [row] = await db.select().from(refreshTokens).where(eq(refreshTokens.id, id));
      return row;
    },

    async setNextRefreshToken(id: number, nextTokenId: number): Promise<void> {
      await db.update(refreshTokens).set({ nextTokenId }).where(eq(refreshTokens.id, id));
    },

    /** Deletes refresh tokens (and by cascade the access tokens issued with them). */
    async deleteRefreshTokens(ids: readonly number[]): Promise<void> {
      if (ids.length === 0) return;
      await db.delete(refreshTokens).where(inArray(refreshTokens.id, [...ids]));
    },

    /** Deletes the refresh tokens that were exchanged for `id` (with their access tokens); returns their ids. */
    async deletePredecessorRefreshTokens(id: number): Promise<number[]> {
      const deleted = await db.delete(refreshTokens).where(eq(refreshTokens.nextTokenId, id)).returning({ id: refreshTokens.id });
      return deleted.map((row) => row.id);
    },
  };
}

export type AccountsRepo = ReturnType<typeof createAccountsRepo>;

// The key_backup_versions and key_backup_sessions tables (schema/key-backup.ts). Writes of
// sessions and the etag bump of their version run in one transaction.
import { and, count, desc, eq, sql } from "drizzle-orm";
import type { Db } from "../db.ts";
import { keyBackupSessions, keyBackupVersions } from "../schema/key-backup.ts";

export interface BackupVersionRow {
  version: number;
  algorithm: string;
  authData: Record<string, unknown>;
  etag: number;
}

export interface BackupSessionRow {
  roomId: string;
  sessionId: string;
  firstMessageIndex: number;
  forwardedCount: number;
  isVerified: boolean;
  sessionData: Record<string, unknown>;
}

/** Which sessions a read or delete covers: all, one room's, or one session. */
export interface SessionScope {
  roomId?: string;
  sessionId?: string;
}

const jsonb = (value: unknown) => sql`${JSON.stringify(value)}::jsonb`;
const versionColumns = { version: keyBackupVersions.version, algorithm: keyBackupVersions.algorithm, authData: keyBackupVersions.authData, etag: keyBackupVersions.etag };

export function createKeyBackupRepo(db: Db) {
  const scoped = (userId: string, version: number, scope: SessionScope) =>
    and(
      eq(keyBackupSessions.userId, userId),
      eq(keyBackupSessions.version, version),
      scope.roomId !== undefined ? eq(keyBackupSessions.roomId, scope.roomId) : undefined,
      scope.sessionId !== undefined ? eq(keyBackupSessions.sessionId, scope.sessionId) : undefined,
    );

  return {
    /** Creates the next version (numbers are never reused, deleted ones included). */
    async createVersion(userId: string, algorithm: string, authData: Record<string, unknown>): Promise<number> {
      return db.transaction(async (tx) => {
        // Serialises concurrent creations for one user.
        await tx.execute(sql`select pg_advisory_xact_lock(hashtext(${"key_backup:" + userId}))`);
        const [last] = await tx.select({ version: keyBackupVersions.version }).from(keyBackupVersions).where(eq(keyBackupVersions.userId, userId)).orderBy(desc(keyBackupVersions.version)).limit(1);
        const version = (last?.version ?? 0) + 1;
        await tx.insert(keyBackupVersions).values({ userId, version, algorithm, authData: jsonb(authData) });
        return version;
      });
    },

    /** The newest version not deleted, or a given one (null if absent or deleted). */
    async version(userId: string, version?: number): Promise<BackupVersionRow | null> {
      const [row] = await db
        .select(versionColumns)
        .from(keyBackupVersions)
        .where(and(eq(keyBackupVersions.userId, userId), eq(keyBackupVersions.deleted, false), version !== undefined ? eq(keyBackupVersions.version, version) : undefined))
        .orderBy(desc(keyBackupVersions.version))
        .limit(1);
      return row ?? null;
    },

    async updateAuthData(userId: string, version: number, authData: Record<string, unknown>): Promise<void> {
      await db.update(keyBackupVersions).set({ authData: jsonb(authData) }).where(and(eq(keyBackupVersions.userId, userId), eq(keyBackupVersions.version, version)));
    },

    /** Marks a version deleted and drops its keys; false if it did not exist. */
    async deleteVersion(userId: string, version: number): Promise<boolean> {
      return db.transaction(async (tx) => {
        const done = await tx
          .update(keyBackupVersions)
          .set({ deleted: true })
          .where(and(eq(keyBackupVersions.userId, userId), eq(keyBackupVersions.version, version), eq(keyBackupVersions.deleted, false)))
          .returning({ version: keyBackupVersions.version });
        await tx.delete(keyBackupSessions).where(scoped(userId, version, {}));
        return done.length > 0;
      });
    },

    async countSessions(userId: string, version: number): Promise<number> {
      const [row] = await db.select({ n: count() }).from(keyBackupSessions).where(scoped(userId, version, {}));
      return row?.n ?? 0;
    },

    async sessions(userId: string, version: number, scope: SessionScope): Promise<BackupSessionRow[]> {
      return db
        .select({
          roomId: keyBackupSessions.roomId,
          sessionId: keyBackupSessions.sessionId,
          firstMessageIndex: keyBackupSessions.firstMessageIndex,
          forwardedCount: keyBackupSessions.forwardedCount,
          isVerified: keyBackupSessions.isVerified,
          sessionData: keyBackupSessions.sessionData,
        })
        .from(keyBackupSessions)
        .where(scoped(userId, version, scope));
    },

    /**
     * Writes sessions (already chosen over the stored ones by the caller) and bumps the
     * version's etag when any was written; returns the new etag.
     */
    async putSessions(userId: string, version: number, rows: readonly BackupSessionRow[]): Promise<number> {
      return db.transaction(async (tx) => {
        for (const row of rows) {
          const values = { ...row, sessionData: jsonb(row.sessionData) };
          await tx
            .insert(keyBackupSessions)
            .values({ userId, version, ...values })
            .onConflictDoUpdate({ target: [keyBackupSessions.userId, keyBackupSessions.version, keyBackupSessions.roomId, keyBackupSessions.sessionId], set: values });
        }
        return bumpEtag(tx, userId, version, rows.length > 0);
      });
    },

    /** Deletes sessions in scope and bumps the etag if any went; returns the etag. */
    async deleteSessions(userId: string, version: number, scope: SessionScope): Promise<number> {
      return db.transaction(async (tx) => {
        const gone = await tx.delete(keyBackupSessions).where(scoped(userId, version, scope)).returning({ roomId: keyBackupSessions.roomId });
        return bumpEtag(tx, userId, version, gone.length > 0);
      });
    },

    async deleteAll(userId: string): Promise<void> {
      await db.delete(keyBackupSessions).where(eq(keyBackupSessions.userId, userId));
      await db.delete(keyBackupVersions).where(eq(keyBackupVersions.userId, userId));
    },
  };
}

type Tx = Parameters<Parameters<Db["transaction"]>[0]>[0];

async function bumpEtag(tx: Tx, userId: string, version: number, changed: boolean): Promise<number> {
  const where = and(eq(keyBackupVersions.userId, userId), eq(keyBackupVersions.version, version));
  const [row] = changed
    ? await tx.update(keyBackupVersions).set({ etag: sql`${keyBackupVersions.etag} + 1` }).where(where).returning({ etag: keyBackupVersions.etag })
    : await tx.select({ etag: keyBackupVersions.etag }).from(keyBackupVersions).where(where);
  return row?.etag ?? 0;
}

export type KeyBackupRepo = ReturnType<typeof createKeyBackupRepo>;

// The cross_signing_keys and cross_signing_signatures tables (schema/cross-signing.ts), and the
// read of uploaded device keys (schema/e2ee-keys.ts) that signature checks need.
import { and, eq, inArray, or, sql } from "drizzle-orm";
import type { Db } from "../db.ts";
import { crossSigningKeys, crossSigningSignatures } from "../schema/cross-signing.ts";
import { deviceKeys } from "../schema/e2ee-keys.ts";

export type CrossSigningUsage = "master" | "self_signing" | "user_signing";

export interface CrossSigningKeyRow {
  userId: string;
  usage: CrossSigningUsage;
  publicKey: string;
  key: Record<string, unknown>;
}

export interface SignatureRow {
  signerUserId: string;
  signerKeyId: string;
  targetUserId: string;
  targetKeyId: string;
  signature: string;
}

const jsonb = (value: unknown) => sql`${JSON.stringify(value)}::jsonb`;

export function createCrossSigningRepo(db: Db) {
  return {
    /** The current keys of these users (all usages, or only those named). */
    async keys(userIds: readonly string[], usages?: readonly CrossSigningUsage[]): Promise<CrossSigningKeyRow[]> {
      if (userIds.length === 0) return [];
      const rows = await db
        .select({ userId: crossSigningKeys.userId, usage: crossSigningKeys.usage, publicKey: crossSigningKeys.publicKey, key: crossSigningKeys.key })
        .from(crossSigningKeys)
        .where(and(inArray(crossSigningKeys.userId, [...userIds]), usages ? inArray(crossSigningKeys.usage, [...usages]) : undefined));
      return rows as CrossSigningKeyRow[];
    },

    /** Inserts or replaces keys of one user, all or none. */
    async putKeys(userId: string, rows: readonly { usage: CrossSigningUsage; publicKey: string; key: Record<string, unknown> }[], now: number): Promise<void> {
      await db.transaction(async (tx) => {
        for (const row of rows) {
          await tx
            .insert(crossSigningKeys)
            .values({ userId, usage: row.usage, publicKey: row.publicKey, key: jsonb(row.key), updatedTs: now })
            .onConflictDoUpdate({
              target: [crossSigningKeys.userId, crossSigningKeys.usage],
              set: { publicKey: row.publicKey, key: jsonb(row.key), updatedTs: now },
            });
        }
      });
    },

    /** Signatures on keys of these users made by the key's owner or by `viewer`. */
    async signaturesOn(targetUserIds: readonly string[], viewer: string): Promise<SignatureRow[]> {
      if (targetUserIds.length === 0) return [];
      const s = crossSigningSignatures;
      return db
        .select()
        .from(s)
        .where(and(inArray(s.targetUserId, [...targetUserIds]), or(eq(s.signerUserId, s.targetUserId), eq(s.signerUserId, viewer))));
    },

    async putSignatures(rows: readonly SignatureRow[]): Promise<void> {
      if (rows.length === 0) return;
      await db
        .insert(crossSigningSignatures)
        .values([...rows])
        .onConflictDoUpdate({
          target: [crossSigningSignatures.targetUserId, crossSigningSignatures.targetKeyId, crossSigningSignatures.signerUserId, crossSigningSignatures.signerKeyId],
          set: { signature: sql`excluded.signature` },
        });
    },

    /** Uploaded device keys (the DeviceKeys objects) of some of a user's devices, by device id. */
    async deviceKeys(userId: string, deviceIds: readonly string[]): Promise<Map<string, Record<string, unknown>>> {
      if (deviceIds.length === 0) return new Map();
      const rows = await db
        .select({ deviceId: deviceKeys.deviceId, keys: deviceKeys.keys })
        .from(deviceKeys)
        .where(and(eq(deviceKeys.userId, userId), inArray(deviceKeys.deviceId, [...deviceIds])));
      return new Map(rows.map((row) => [row.deviceId, row.keys]));
    },
  };
}

export type CrossSigningRepo = ReturnType<typeof createCrossSigningRepo>;

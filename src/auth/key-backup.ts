// Server-side key backups: versions (create, read, update, delete) and the encrypted room keys
// in a version, with the spec's rules for which of two copies of a session to keep.
// https://spec.matrix.org/v1.19/client-server-api/#server-side-key-backups
import { canonicalJson } from "../protocol/canonical-json.ts";
import { MatrixError, notFound } from "../protocol/matrix-error.ts";
import type { BackupSessionRow, BackupVersionRow, KeyBackupRepo, SessionScope } from "../storage/repos/key-backup.ts";

/** Limit: canonical JSON bytes of a version's auth_data. */
export const MAX_AUTH_DATA_BYTES = 65_536;
/** Limit: sessions in one PUT /room_keys/keys request (clients upload in batches of a few hundred). */
export const MAX_SESSIONS_PER_REQUEST = 10_000;

/** The spec's KeyBackupData. */
export interface KeyBackupData {
  first_message_index: number;
  forwarded_count: number;
  is_verified: boolean;
  session_data: Record<string, unknown>;
}
export type RoomKeyBackup = { sessions: Record<string, KeyBackupData> };

const noBackup = () => notFound("No current backup version");
const unknownVersion = () => notFound("Unknown backup version");

/** Version strings are decimal numbers; anything else names no backup. */
function parseVersion(version: string): number | null {
  return /^[1-9][0-9]{0,14}$/.test(version) ? Number(version) : null;
}

function checkAuthData(authData: Record<string, unknown>) {
  if (Buffer.byteLength(canonicalJson(authData)) > MAX_AUTH_DATA_BYTES) throw new MatrixError(413, "M_TOO_LARGE", `auth_data is larger than ${MAX_AUTH_DATA_BYTES} bytes`);
}

/**
 * Whether `candidate` should replace `current` (https://spec.matrix.org/v1.19/client-server-api/#backup-algorithm-mmegolm_backupv1curve25519-aes-sha2):
 * a verified key wins; then the lower first_message_index; then the lower forwarded_count.
 */
export function isBetterKey(candidate: KeyBackupData, current: Pick<BackupSessionRow, "isVerified" | "firstMessageIndex" | "forwardedCount">): boolean {
  if (candidate.is_verified !== current.isVerified) return candidate.is_verified;
  if (candidate.first_message_index !== current.firstMessageIndex) return candidate.first_message_index < current.firstMessageIndex;
  return candidate.forwarded_count < current.forwardedCount;
}

const toData = (row: BackupSessionRow): KeyBackupData => ({
  first_message_index: row.firstMessageIndex,
  forwarded_count: row.forwardedCount,
  is_verified: row.isVerified,
  session_data: row.sessionData,
});

export function createKeyBackup(deps: { repo: KeyBackupRepo }) {
  const { repo } = deps;

  /** A version by its string, or the current one; 404 when absent or deleted. */
  async function existing(userId: string, version: string): Promise<BackupVersionRow> {
    const number = parseVersion(version);
    const row = number === null ? null : await repo.version(userId, number);
    if (!row) throw unknownVersion();
    return row;
  }

  /** The version keys may be written to: only the current one (403 M_WRONG_ROOM_KEYS_VERSION otherwise). */
  async function writable(userId: string, version: string): Promise<BackupVersionRow> {
    const current = await repo.version(userId);
    if (!current) throw noBackup();
    if (parseVersion(version) !== current.version) {
      throw new MatrixError(403, "M_WRONG_ROOM_KEYS_VERSION", "Wrong backup version.", { current_version: String(current.version) });
    }
    return current;
  }

  const counted = async (userId: string, version: number, etag: number) => ({ etag: String(etag), count: await repo.countSessions(userId, version) });

  return {
    /** POST /room_keys/version */
    async createVersion(userId: string, algorithm: string, authData: Record<string, unknown>): Promise<{ version: string }> {
      checkAuthData(authData);
      return { version: String(await repo.createVersion(userId, algorithm, authData)) };
    },

    /** GET /room_keys/version[/{version}] */
    async getVersion(userId: string, version?: string) {
      const row = version === undefined ? await repo.version(userId) : await existing(userId, version);
      if (!row) throw noBackup();
      return { algorithm: row.algorithm, auth_data: row.authData, version: String(row.version), ...(await counted(userId, row.version, row.etag)) };
    },

    /** PUT /room_keys/version/{version}: only auth_data changes. */
    async updateVersion(userId: string, version: string, body: { algorithm: string; auth_data: Record<string, unknown>; version?: string }): Promise<void> {
      const row = await existing(userId, version);
      if (body.version !== undefined && body.version !== version) throw new MatrixError(400, "M_INVALID_PARAM", "version does not match the path");
      if (body.algorithm !== row.algorithm) throw new MatrixError(400, "M_INVALID_PARAM", "Algorithm does not match");
      checkAuthData(body.auth_data);
      await repo.updateAuthData(userId, row.version, body.auth_data);
    },

    /** DELETE /room_keys/version/{version}: the version and its keys. */
    async deleteVersion(userId: string, version: string): Promise<void> {
      const number = parseVersion(version);
      if (number === null || !(await repo.deleteVersion(userId, number))) throw unknownVersion();
    },

    /** PUT /room_keys/keys[/{roomId}[/{sessionId}]]: keeps whichever copy of each session is better. */
    async putKeys(userId: string, version: string, rooms: Record<string, RoomKeyBackup>) {
      const total = Object.values(rooms).reduce((n, room) => n + Object.keys(room.sessions).length, 0);
      if (total > MAX_SESSIONS_PER_REQUEST) throw new MatrixError(413, "M_TOO_LARGE", `At most ${MAX_SESSIONS_PER_REQUEST} sessions per request`);
      const current = await writable(userId, version);
      const changed: BackupSessionRow[] = [];
      for (const [roomId, room] of Object.entries(rooms)) {
        const stored = Object.keys(room.sessions).length === 0 ? [] : await repo.sessions(userId, current.version, { roomId });
        const byId = new Map(stored.map((row) => [row.sessionId, row]));
        for (const [sessionId, data] of Object.entries(room.sessions)) {
          const old = byId.get(sessionId);
          if (old && !isBetterKey(data, old)) continue;
          changed.push({ roomId, sessionId, firstMessageIndex: data.first_message_index, forwardedCount: data.forwarded_count, isVerified: data.is_verified, sessionData: data.session_data });
        }
      }
      const etag = await repo.putSessions(userId, current.version, changed);
      return counted(userId, current.version, etag);
    },

    /** GET /room_keys/keys: every room's sessions. */
    async getKeys(userId: string, version: string, scope: SessionScope): Promise<{ rooms: Record<string, RoomKeyBackup> }> {
      const row = await existing(userId, version);
      const rooms: Record<string, RoomKeyBackup> = {};
      for (const session of await repo.sessions(userId, row.version, scope)) (rooms[session.roomId] ??= { sessions: {} }).sessions[session.sessionId] = toData(session);
      return { rooms };
    },

    /** DELETE /room_keys/keys[/{roomId}[/{sessionId}]] */
    async deleteKeys(userId: string, version: string, scope: SessionScope) {
      const row = await existing(userId, version);
      return counted(userId, row.version, await repo.deleteSessions(userId, row.version, scope));
    },
  };
}

export type KeyBackup = ReturnType<typeof createKeyBackup>;

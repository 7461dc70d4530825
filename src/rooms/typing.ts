// Typing notifications: in memory only (ephemeral by spec), per room the users typing and when
// each stops, and a stream position that a room takes on every change so sync can ask "which
// rooms changed after N" and send their whole list (clients REPLACE their list with it).
// https://spec.matrix.org/v1.19/client-server-api/#typing-notifications
import { forbidden, MatrixError } from "../protocol/matrix-error.ts";
import type { RoomReader } from "./room-reader.ts";

/** When the client gives no `timeout` (Synapse's default). */
export const DEFAULT_TYPING_TIMEOUT_MS = 30_000;
/** Limit: the longest a single request keeps a user typing (Synapse caps at 120 s too); clients renew every 20-30 s. */
export const MAX_TYPING_TIMEOUT_MS = 120_000;

/** Called after each change of a room's typing list with the room's new position; sync's notifier fills it. */
export type TypingChanged = (roomId: string, position: number) => void;

/** setTimeout/clearTimeout, injectable so tests drive expiry without sleeping. */
export interface Timers {
  set(callback: () => void, ms: number): unknown;
  clear(handle: unknown): void;
}

const realTimers: Timers = {
  set: (callback, ms) => {
    const handle = setTimeout(callback, ms);
    (handle as { unref?: () => void }).unref?.(); // a pending expiry must not keep the process alive
    return handle;
  },
  clear: (handle) => clearTimeout(handle as ReturnType<typeof setTimeout>),
};

export interface TypingDeps {
  rooms: Pick<RoomReader, "membership">;
  now?: () => number;
  timers?: Timers;
  changed?: TypingChanged;
}

export interface TypingChange {
  roomId: string;
  /** Everyone typing in the room now (the m.typing content's user_ids). */
  userIds: string[];
  position: number;
}

export function createTyping(deps: TypingDeps) {
  const now = deps.now ?? Date.now;
  const timers = deps.timers ?? realTimers;
  /** Rooms with someone typing: user -> expiry time and its timer. Emptied rooms are removed. */
  const typing = new Map<string, Map<string, { expiresAt: number; timer: unknown }>>();
  /** Every room's last change; kept after the room empties so sync still sees the "stopped". */
  const positions = new Map<string, number>();
  let position = 0;

  function bump(roomId: string): void {
    positions.set(roomId, ++position);
    deps.changed?.(roomId, position);
  }

  function remove(roomId: string, userId: string): boolean {
    const users = typing.get(roomId);
    const entry = users?.get(userId);
    if (!users || !entry) return false;
    timers.clear(entry.timer);
    users.delete(userId);
    if (users.size === 0) typing.delete(roomId);
    return true;
  }

  /** Drops every typer whose time is up; reads call it too, so a late timer never shows stale typers. */
  function expireDue(): void {
    const time = now();
    for (const [roomId, users] of [...typing]) {
      let changed = false;
      for (const [userId, entry] of [...users]) if (entry.expiresAt <= time) changed = remove(roomId, userId) || changed;
      if (changed) bump(roomId);
    }
  }

  return {
    /** PUT /rooms/{roomId}/typing/{userId}: only for oneself, only in a joined room. */
    async set(requesterId: string, userId: string, roomId: string, isTyping: boolean, timeoutMs = DEFAULT_TYPING_TIMEOUT_MS): Promise<void> {
      if (requesterId !== userId) throw forbidden("Cannot set another user's typing state");
      if (!roomId.startsWith("!")) throw new MatrixError(400, "M_INVALID_PARAM", `${roomId} is not a valid room ID`);
      if ((await deps.rooms.membership(roomId, userId)) !== "join") throw forbidden(`${userId} is not in room ${roomId}`);
      if (!isTyping) {
        if (remove(roomId, userId)) bump(roomId);
        return;
      }
      const ms = Math.min(Math.max(timeoutMs, 0), MAX_TYPING_TIMEOUT_MS);
      const users = typing.get(roomId) ?? new Map();
      const renewing = remove(roomId, userId);
      typing.set(roomId, users);
      users.set(userId, { expiresAt: now() + ms, timer: timers.set(expireDue, ms) });
      // A renewal changes nothing others see (Synapse does not notify either).
      if (!renewing) bump(roomId);
    },

    /** Stops a user's typing without checks (the user left the room, or was kicked). */
    stop(roomId: string, userId: string): void {
      if (remove(roomId, userId)) bump(roomId);
    },

    /** Who is typing in a room now, sorted. */
    typingUsers(roomId: string): string[] {
      expireDue();
      return [...(typing.get(roomId)?.keys() ?? [])].sort();
    },

    /** The stream's current position (0 before any change). */
    position(): number {
      expireDue();
      return position;
    },

    /** Rooms whose typing list changed after `since`, with their whole list; `roomIds` narrows to those rooms. */
    changesSince(since: number, roomIds?: ReadonlySet<string>): TypingChange[] {
      expireDue();
      const changes: TypingChange[] = [];
      for (const [roomId, roomPosition] of positions) {
        if (roomPosition <= since || (roomIds && !roomIds.has(roomId))) continue;
        changes.push({ roomId, userIds: [...(typing.get(roomId)?.keys() ?? [])].sort(), position: roomPosition });
      }
      return changes;
    },

    /** Clears every pending timer (shutdown). */
    close(): void {
      for (const users of typing.values()) for (const entry of users.values()) timers.clear(entry.timer);
      typing.clear();
    },
  };
}

export type Typing = ReturnType<typeof createTyping>;

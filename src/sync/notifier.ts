// Wakes long-polling /sync requests, only those of users a change concerns: a room event wakes
// the room's joined members waiting (and the member event's target: invites, joins); typing and
// receipts wake the room's members; account data, push rules and counts wake the user; presence
// wakes users who share a room with the changed user.
// A room event wakes nobody before the event stream is safe up to it (StreamTracker), or the
// woken sync would read below it and find nothing.
// https://spec.matrix.org/v1.19/client-server-api/#syncing
import type { RoomBus } from "../rooms/bus.ts";
import type { StreamTracker } from "../rooms/stream-tracker.ts";

/** Limit: rooms remembered for a waiter whose room list is not known yet; past it, it is woken (a spurious recompute). */
const MAX_UNPLACED_ROOMS = 1_000;

interface WaiterState {
  userId: string;
  /** The rooms whose changes wake it; null while its sync computes (rooms woken then go to `missed`). */
  rooms: ReadonlySet<string> | null;
  missed: Set<string>;
  woken: boolean;
  release: ((woken: boolean) => void) | null;
}

export interface Waiter {
  /** Forgets earlier wake-ups; call before each compute. Until `setRooms`, room wake-ups are remembered. */
  rearm(): void;
  /** The rooms whose changes concern the user (the joined rooms of the last compute). */
  setRooms(roomIds: Iterable<string>): void;
  /** Resolves true when woken (at once if woken since `rearm`), false at the timeout or abort. */
  wait(ms: number, signal?: AbortSignal): Promise<boolean>;
  close(): void;
}

export interface Notifier {
  listen(userId: string): Waiter;
  wakeUser(userId: string): void;
  wakeRoom(roomId: string): void;
  /** Hooks for the services that announce changes (src/main.ts passes them at construction). */
  typingChanged(roomId: string, position: number): void;
  receiptsChanged(roomId: string, position: number): void;
  accountDataChanged(userId: string, position: number): void;
  /** Highest positions the hooks reported (streams whose writes commit before the hook runs). */
  reported(): { accountData: number; receipts: number };
  /** Presence of `userId` changed: wakes users sharing a room with them. */
  presenceChanged(userId: string): Promise<void>;
  /** Device list of `userId` changed (E2EE keys, devices): wakes users sharing a room with them, as presence. */
  deviceListChanged(userId: string): Promise<void>;
  /** Number of waiting requests (tests, metrics). */
  waiting(): number;
  /** Shutdown: every wait ends now with what it has, and later ones do not wait, so the listeners stop at once. */
  close(): void;
}

export function createNotifier(deps: {
  bus: Pick<RoomBus, "subscribe">;
  stream: Pick<StreamTracker, "persistedUpTo" | "onAdvance">;
  /** Rooms the user is joined to (presence wake-ups of a user not waiting themselves). */
  joinedRooms(userId: string): Promise<string[]>;
}): Notifier {
  const byUser = new Map<string, Set<WaiterState>>();
  const byRoom = new Map<string, Set<WaiterState>>();
  /** Waiters whose sync is computing (rooms null). */
  const unplaced = new Set<WaiterState>();
  /** Room events not yet safe to read, in stream order: woken once persistedUpTo reaches them. */
  let pending: { position: number; roomId: string; target: string | null }[] = [];
  const reportedPositions = { accountData: 0, receipts: 0 };
  let closed = false;

  const wake = (w: WaiterState) => {
    w.woken = true;
    const release = w.release;
    w.release = null;
    release?.(true);
  };

  const add = <K>(index: Map<K, Set<WaiterState>>, key: K, w: WaiterState) => {
    let set = index.get(key);
    if (!set) index.set(key, (set = new Set()));
    set.add(w);
  };
  const remove = <K>(index: Map<K, Set<WaiterState>>, key: K, w: WaiterState) => {
    const set = index.get(key);
    if (set?.delete(w) && set.size === 0) index.delete(key);
  };
  const unplace = (w: WaiterState) => {
    if (w.rooms) for (const roomId of w.rooms) remove(byRoom, roomId, w);
  };

  function wakeRoom(roomId: string): void {
    for (const w of byRoom.get(roomId) ?? []) wake(w);
    for (const w of unplaced) {
      if (w.woken) continue;
      w.missed.add(roomId);
      if (w.missed.size > MAX_UNPLACED_ROOMS) wake(w);
    }
  }

  function wakeUser(userId: string): void {
    for (const w of byUser.get(userId) ?? []) wake(w);
  }

  /** Wakes `userId` and the users sharing a room with them (presence, device lists). */
  async function usersSharingRoomChanged(userId: string): Promise<void> {
    if (byUser.size === 0) return;
    const own = [...(byUser.get(userId) ?? [])].find((w) => w.rooms !== null)?.rooms;
    for (const roomId of own ?? (await deps.joinedRooms(userId))) wakeRoom(roomId);
    wakeUser(userId);
  }

  function flush(upTo: number): void {
    let i = 0;
    while (i < pending.length && pending[i]!.position <= upTo) {
      const { roomId, target } = pending[i]!;
      wakeRoom(roomId);
      if (target) wakeUser(target);
      i++;
    }
    if (i > 0) pending = pending.slice(i);
  }

  deps.bus.subscribe(({ event }) => {
    const target = event.type === "m.room.member" ? event.stateKey : null;
    if (event.streamOrdering <= deps.stream.persistedUpTo() && pending.length === 0) {
      wakeRoom(event.roomId);
      if (target) wakeUser(target);
      return;
    }
    // Keep stream order: insert sorted (writes finish nearly in order, so this is near the end).
    let at = pending.length;
    while (at > 0 && pending[at - 1]!.position > event.streamOrdering) at--;
    pending.splice(at, 0, { position: event.streamOrdering, roomId: event.roomId, target });
    flush(deps.stream.persistedUpTo());
  });
  deps.stream.onAdvance(flush);

  return {
    listen(userId) {
      const w: WaiterState = { userId, rooms: null, missed: new Set(), woken: false, release: null };
      add(byUser, userId, w);
      unplaced.add(w);
      return {
        rearm() {
          unplace(w);
          w.rooms = null;
          w.missed.clear();
          w.woken = false;
          unplaced.add(w);
        },
        setRooms(roomIds) {
          unplace(w);
          const rooms = new Set(roomIds);
          w.rooms = rooms;
          unplaced.delete(w);
          for (const roomId of rooms) add(byRoom, roomId, w);
          for (const roomId of w.missed) if (rooms.has(roomId)) w.woken = true;
          w.missed.clear();
        },
        wait(ms, signal) {
          if (w.woken) return Promise.resolve(true);
          if (ms <= 0 || signal?.aborted || closed) return Promise.resolve(false);
          return new Promise<boolean>((resolve) => {
            const finish = (woken: boolean) => {
              clearTimeout(timer);
              signal?.removeEventListener("abort", onAbort);
              w.release = null;
              resolve(woken);
            };
            const onAbort = () => finish(false);
            const timer = setTimeout(() => finish(false), ms);
            signal?.addEventListener("abort", onAbort);
            w.release = finish;
          });
        },
        close() {
          unplace(w);
          unplaced.delete(w);
          remove(byUser, userId, w);
          w.release?.(false);
        },
      };
    },
    wakeUser,
    wakeRoom,
    typingChanged: (roomId) => wakeRoom(roomId),
    receiptsChanged(roomId, position) {
      reportedPositions.receipts = Math.max(reportedPositions.receipts, position);
      wakeRoom(roomId);
    },
    accountDataChanged(userId, position) {
      reportedPositions.accountData = Math.max(reportedPositions.accountData, position);
      wakeUser(userId);
    },
    reported: () => ({ ...reportedPositions }),
    deviceListChanged: (userId) => usersSharingRoomChanged(userId),
    presenceChanged: (userId) => usersSharingRoomChanged(userId),
    waiting: () => [...byUser.values()].reduce((n, set) => n + set.size, 0),
    close() {
      closed = true;
      for (const waiters of byUser.values()) for (const w of waiters) w.release?.(false);
    },
  };
}

/** One computation of a long-polling request: its answer, and whether it has anything new. */
export interface PollResult<T> {
  empty: boolean;
  /** Rooms the user is joined to, so room changes wake the wait. */
  joined: readonly string[];
  answer(): T;
}

/**
 * The long-poll of /sync and sliding sync: computes at once; when there is nothing new and
 * waiting is allowed, waits for a change of the user (until the deadline or the client goes)
 * and computes again. Listening starts before the first computation, so a change while it runs
 * wakes the wait that follows.
 */
export async function longPoll<T>(
  notifier: Pick<Notifier, "listen">,
  userId: string,
  options: { timeoutMs: number; mayWait: boolean; signal?: AbortSignal },
  compute: () => Promise<PollResult<T>>,
): Promise<T> {
  const deadline = Date.now() + options.timeoutMs;
  const waiter = notifier.listen(userId);
  try {
    for (;;) {
      waiter.rearm();
      const result = await compute();
      const remaining = deadline - Date.now();
      if (!result.empty || !options.mayWait || remaining <= 0 || options.signal?.aborted) return result.answer();
      waiter.setRooms(result.joined);
      if (!(await waiter.wait(remaining, options.signal))) return result.answer();
    }
  } finally {
    waiter.close();
  }
}

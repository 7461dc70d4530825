// The in-process bus rooms announce persisted events on; sync, push and federation subscribe.
import type { StoredEvent } from "./stored-event.ts";

export interface PersistedEventNotice {
  event: StoredEvent;
  /** For a sent event: who sent it from which device with which txn id (unsigned.transaction_id). */
  transaction?: { userId: string; deviceId: string; txnId: string };
}

export type RoomEventListener = (notice: PersistedEventNotice) => void;

export interface RoomBus {
  subscribe(listener: RoomEventListener): () => void;
  emit(notice: PersistedEventNotice): void;
  /** Listens for rooms purged from the database (admin API): in-memory copies of them must go. */
  onRoomPurged(listener: (roomId: string) => void): () => void;
  roomPurged(roomId: string): void;
}

export function createRoomBus(onError: (error: unknown) => void): RoomBus {
  const listeners = new Set<RoomEventListener>();
  const purgeListeners = new Set<(roomId: string) => void>();
  return {
    onRoomPurged(listener) {
      purgeListeners.add(listener);
      return () => purgeListeners.delete(listener);
    },
    roomPurged: (roomId) => callEach(purgeListeners, roomId, onError),
    subscribe(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    // A failing subscriber must not fail the send that has already been stored.
    emit: (notice) => callEach(listeners, notice, onError),
  };
}

function callEach<T>(listeners: Iterable<(value: T) => void>, value: T, onError: (error: unknown) => void): void {
  for (const listener of listeners) {
    try {
      listener(value);
    } catch (error) {
      onError(error);
    }
  }
}

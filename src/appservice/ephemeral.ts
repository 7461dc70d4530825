// Ephemeral data for application services that registered receive_ephemeral (MSC2409, spec
// v1.13): typing lists and read receipts of rooms they are interested in, with a room_id, in
// the `ephemeral` array of their next transaction. Held in memory only: a restart loses what
// was not yet in a recorded transaction (it is ephemeral). Presence is not pushed (yet).
// https://spec.matrix.org/v1.19/application-service-api/#pushing-ephemeral-data
import type { AppServiceRegistration } from "../auth/appservice-registry.ts";
import type { Logger } from "../log/logger.ts";
import { receiptEvents } from "../rooms/receipts.ts";
import type { ReceiptRow } from "../storage/repos/receipts.ts";
import type { Interest } from "./interest.ts";

/** Limit: ephemeral items waiting per application service; the oldest go beyond it. */
const MAX_EPHEMERAL_QUEUED = 1_000;

/** Where typing lists and receipts are read (src/rooms/ephemeral.ts's typing and receipts). */
export interface EphemeralSources {
  typingUsers(roomId: string): string[];
  receiptChanges(roomIds: readonly string[], viewer: string, after: number, upTo: number): Promise<ReceiptRow[]>;
}

export interface AppServiceEphemeral {
  /** ephemeral's typingChanged hook. */
  typingChanged(roomId: string, position: number): void;
  /** ephemeral's receiptsChanged hook. */
  receiptsChanged(roomId: string, position: number): void;
  /** The items waiting for a registration's next transaction (emptied). */
  take(appserviceId: string): Record<string, unknown>[];
}

export function createAppServiceEphemeral(deps: {
  registrations: readonly AppServiceRegistration[];
  interest: Pick<Interest, "inRoom">;
  sources?: EphemeralSources;
  log: Logger;
  /** A registration has new items. */
  wake(appserviceId: string): void;
}): AppServiceEphemeral {
  const receiving = deps.registrations.filter((r) => r.receiveEphemeral);
  const queues = new Map<string, Record<string, unknown>[]>(receiving.map((r) => [r.id, []]));

  function enqueue(registration: AppServiceRegistration, item: Record<string, unknown>): void {
    let queue = queues.get(registration.id)!;
    // A room's typing list replaces the one still waiting (clients replace theirs too).
    if (item.type === "m.typing") queue = queue.filter((q) => !(q.type === "m.typing" && q.room_id === item.room_id));
    queue.push(item);
    queues.set(registration.id, queue.length > MAX_EPHEMERAL_QUEUED ? queue.slice(-MAX_EPHEMERAL_QUEUED) : queue);
    deps.wake(registration.id);
  }

  /** Queues the items built by `make` for each receiving registration interested in the room. */
  function deliver(roomId: string, make: () => Promise<Record<string, unknown>[]> | Record<string, unknown>[]): void {
    if (receiving.length === 0 || !deps.sources) return;
    void (async () => {
      const interested: AppServiceRegistration[] = [];
      for (const registration of receiving) if (await deps.interest.inRoom(registration, roomId)) interested.push(registration);
      if (interested.length === 0) return;
      const items = await make();
      for (const registration of interested) for (const item of items) enqueue(registration, item);
    })().catch((error) => deps.log.warn("application service ephemeral data failed", { room_id: roomId, error: String(error) }));
  }

  return {
    typingChanged(roomId) {
      deliver(roomId, () => [{ type: "m.typing", room_id: roomId, content: { user_ids: deps.sources!.typingUsers(roomId) } }]);
    },
    receiptsChanged(roomId, position) {
      // Read with no viewer: private receipts (m.read.private) are never pushed.
      deliver(roomId, async () =>
        receiptEvents(await deps.sources!.receiptChanges([roomId], "", position - 1, position)).map(({ event }) => ({ ...event, room_id: roomId })),
      );
    },
    take(appserviceId) {
      const queue = queues.get(appserviceId);
      if (!queue || queue.length === 0) return [];
      queues.set(appserviceId, []);
      return queue;
    },
  };
}

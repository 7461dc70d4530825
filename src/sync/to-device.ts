// Send-to-device messaging: PUT /sendToDevice delivers into device inboxes (a stream with
// positions from a sequence), /sync hands each device its inbox after the `since` token's
// to-device position and deletes what the client acknowledged by syncing past it.
// https://spec.matrix.org/v1.19/client-server-api/#send-to-device-messaging
import { MatrixError } from "../protocol/matrix-error.ts";
import type { JsonObject } from "../protocol/signed-json.ts";
import type { InboxMessage, ToDeviceAddress, ToDeviceRepo } from "../storage/repos/to-device.ts";

/** Limit: messages per /sync response, as the spec recommends and Synapse does. */
export const MAX_TO_DEVICE_PER_SYNC = 100;
/** Limit: bytes of one message's content (JSON), the federation EDU's 64 KiB, so any message could be sent on. */
export const MAX_TO_DEVICE_CONTENT_BYTES = 65_536;
/** Limit: addressed (user, device) entries in one /sendToDevice request, before "*" expands. */
export const MAX_TO_DEVICE_MESSAGES_PER_REQUEST = 10_000;
/**
 * Limit: pending messages per device inbox. Messages to a full inbox are dropped, not refused:
 * the sender cannot fix another device's backlog, and refusing would fail a whole room key
 * share for one abandoned device (the spec sets no bound; Synapse has none).
 */
export const MAX_DEVICE_INBOX = 10_000;

/** A to-device event as /sync and the dehydrated device's events show it. */
export interface ToDeviceEvent {
  sender: string;
  type: string;
  content: JsonObject;
}

export interface ToDeviceDeps {
  repo: ToDeviceRepo;
  /** Wakes the recipients' long-polling syncs. */
  wakeUser(userId: string): void;
  now?: () => number;
}

export const toEvent = (m: InboxMessage): ToDeviceEvent => ({ sender: m.sender, type: m.type, content: m.content as JsonObject });

export function createToDevice(deps: ToDeviceDeps, startPosition: number) {
  const { repo } = deps;
  let position = startPosition;

  return {
    /** The highest position whose write has committed. */
    position: () => position,

    /**
     * PUT /sendToDevice/{eventType}/{txnId}. Idempotent per sending device and txnId. Unknown
     * devices are skipped (the spec's "known devices"); remote users have no rows in `devices`,
     * so their messages are dropped the same way until federation sends them on as EDUs.
     */
    async send(sender: string, senderDevice: string | null, type: string, txnId: string, messages: Record<string, unknown>): Promise<void> {
      const local: ToDeviceAddress[] = [];
      for (const [userId, byDevice] of Object.entries(messages)) {
        if (!userId.startsWith("@")) throw new MatrixError(400, "M_INVALID_PARAM", `Not a user ID: ${userId}`);
        if (typeof byDevice !== "object" || byDevice === null || Array.isArray(byDevice)) throw new MatrixError(400, "M_BAD_JSON", `messages.${userId} must be an object`);
        for (const [deviceId, content] of Object.entries(byDevice)) {
          if (typeof content !== "object" || content === null || Array.isArray(content)) throw new MatrixError(400, "M_BAD_JSON", `messages.${userId}.${deviceId} must be an object`);
          if (new TextEncoder().encode(JSON.stringify(content)).length > MAX_TO_DEVICE_CONTENT_BYTES) {
            throw new MatrixError(413, "M_TOO_LARGE", `A message's content is over ${MAX_TO_DEVICE_CONTENT_BYTES} bytes`);
          }
          local.push({ userId, deviceId, content: content as Record<string, unknown> });
        }
      }
      if (local.length > MAX_TO_DEVICE_MESSAGES_PER_REQUEST) {
        throw new MatrixError(413, "M_TOO_LARGE", `More than ${MAX_TO_DEVICE_MESSAGES_PER_REQUEST} messages in one request`);
      }
      const now = (deps.now ?? Date.now)();
      const result = await repo.deliver({ sender, senderDevice, txnId, type, now }, local, MAX_DEVICE_INBOX);
      if (!result) return;
      position = Math.max(position, result.position);
      for (const userId of result.recipients) deps.wakeUser(userId);
    },

    /**
     * The device's part of a /sync response: deletes what the client acknowledged (up to its
     * `since` position), then reads what follows up to `upTo`, at most MAX_TO_DEVICE_PER_SYNC.
     * `position` is the to-device part of next_batch: upTo, or the last message sent when more wait.
     */
    async forSync(userId: string, deviceId: string | null, since: number | null, upTo: number): Promise<{ events: ToDeviceEvent[]; position: number }> {
      if (deviceId === null) return { events: [], position: upTo };
      if (since !== null && since > 0) await repo.acknowledge(userId, deviceId, since);
      const messages = await repo.pending(userId, deviceId, since ?? 0, upTo, MAX_TO_DEVICE_PER_SYNC);
      const full = messages.length === MAX_TO_DEVICE_PER_SYNC;
      return { events: messages.map(toEvent), position: full ? messages.at(-1)!.streamPosition : upTo };
    },
  };
}

export type ToDevice = ReturnType<typeof createToDevice>;

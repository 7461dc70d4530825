// The device inboxes of send-to-device messaging (schema/to-device.ts): delivery into inboxes
// in stream order, the per-device reads of /sync and of dehydrated devices, acknowledgement.
import type { Db } from "../db.ts";
import { inStreamOrder } from "../ordered-writes.ts";

/** One addressed message: to a device, or to every device of the user ("*"). */
export interface ToDeviceAddress {
  userId: string;
  /** A device id, or "*" for all of the user's devices. */
  deviceId: string;
  content: Record<string, unknown>;
}

export interface InboxMessage {
  streamPosition: number;
  sender: string;
  type: string;
  content: Record<string, unknown>;
}

/** How long /sendToDevice transaction ids are remembered (clients retry within minutes). */
const TXN_RETENTION_MS = 24 * 60 * 60 * 1000;

export function createToDeviceRepo(db: Db) {
  const sql = db.$client;
  return {
    /**
     * Delivers one /sendToDevice request: records the transaction id (when the sender has a
     * device) and inserts a message into each addressed inbox that exists; unknown devices are
     * skipped and "*" expands to the user's devices, in one statement. A device listed both by
     * id and by "*" gets the one addressed by id. Inboxes holding `inboxLimit` messages or more
     * take nothing. Returns null for a transaction id seen before, else the recipients and the
     * highest position written (0 when none).
     */
    async deliver(
      send: { sender: string; senderDevice: string | null; txnId: string; type: string; now: number },
      messages: readonly ToDeviceAddress[],
      inboxLimit: number,
    ): Promise<{ position: number; recipients: string[] } | null> {
      return inStreamOrder("to_device_stream_position", () =>
        sql.begin(async (tx) => {
          if (send.senderDevice !== null) {
            await tx`delete from to_device_transactions where user_id = ${send.sender} and device_id = ${send.senderDevice} and created_ts < ${send.now - TXN_RETENTION_MS}`;
            const recorded = await tx`insert into to_device_transactions (user_id, device_id, txn_id, created_ts)
              select ${send.sender}, ${send.senderDevice}, ${send.txnId}, ${send.now}
              where exists (select 1 from devices where user_id = ${send.sender} and device_id = ${send.senderDevice})
              on conflict do nothing returning 1`;
            if (recorded.length === 0) {
              const seen = await tx`select 1 from to_device_transactions where user_id = ${send.sender} and device_id = ${send.senderDevice} and txn_id = ${send.txnId}`;
              if (seen.length > 0) return null;
            }
          }
          if (messages.length === 0) return { position: 0, recipients: [] };
          const rows = await tx<{ user_id: string; stream_position: string }[]>`
            insert into device_inbox (user_id, device_id, sender, type, content)
            select target.user_id, target.device_id, ${send.sender}, ${send.type}, target.content from (
              select distinct on (d.user_id, d.device_id) d.user_id, d.device_id, m.content
              from jsonb_to_recordset(${JSON.stringify(messages.map((m) => ({ user_id: m.userId, device_id: m.deviceId, content: m.content })))}::jsonb)
                as m(user_id text, device_id text, content jsonb)
              join devices d on d.user_id = m.user_id and (d.device_id = m.device_id or m.device_id = '*')
              order by d.user_id, d.device_id, (m.device_id = '*')
            ) target
            where (select count(*) from (select 1 from device_inbox i where i.user_id = target.user_id and i.device_id = target.device_id limit ${inboxLimit}) n) < ${inboxLimit}
            returning user_id, stream_position`;
          return {
            position: rows.reduce((max, r) => Math.max(max, Number(r.stream_position)), 0),
            recipients: [...new Set(rows.map((r) => r.user_id))],
          };
        }),
      ) as Promise<{ position: number; recipients: string[] } | null>;
    },

    /** A device's messages in (after, upTo], oldest first, at most `limit`. */
    async pending(userId: string, deviceId: string, after: number, upTo: number, limit: number): Promise<InboxMessage[]> {
      const rows = await sql<{ stream_position: string; sender: string; type: string; content: Record<string, unknown> }[]>`
        select stream_position, sender, type, content from device_inbox
        where user_id = ${userId} and device_id = ${deviceId} and stream_position > ${after} and stream_position <= ${upTo}
        order by stream_position limit ${limit}`;
      return rows.map((r) => ({ streamPosition: Number(r.stream_position), sender: r.sender, type: r.type, content: r.content }));
    },

    /** Deletes the device's messages up to `upTo`: the client acknowledged them. */
    async acknowledge(userId: string, deviceId: string, upTo: number): Promise<void> {
      await sql`delete from device_inbox where user_id = ${userId} and device_id = ${deviceId} and stream_position <= ${upTo}`;
    },

    /** The highest position handed out so far (0 before any message). */
    async maxPosition(): Promise<number> {
      const rows = await sql<{ last_value: string; is_called: boolean }[]>`select last_value, is_called from to_device_stream_position`;
      return rows[0]?.is_called ? Number(rows[0].last_value) : 0;
    },
  };
}

export type ToDeviceRepo = ReturnType<typeof createToDeviceRepo>;

// What a sync adds to room entries besides timeline and state: room summaries (heroes, member
// counts), the stripped state of invites and knocks, and the ephemeral events (typing, receipts).
// https://spec.matrix.org/v1.19/client-server-api/#get_matrixclientv3sync
// https://spec.matrix.org/v1.19/client-server-api/#stripped-state
import { stateKey } from "../engine/index.ts";
import type { JsonObject } from "../protocol/signed-json.ts";
import type { ClientEventFormatter, Viewer } from "../rooms/client-events.ts";
import { receiptEvents, type Receipts } from "../rooms/receipts.ts";
import type { StateStore } from "../rooms/state-store.ts";
import type { EventCache, StoredEvent } from "../rooms/stored-event.ts";
import type { Typing } from "../rooms/typing.ts";
import type { SyncRepo } from "../storage/repos/sync.ts";

/** Limit: heroes per room summary (the spec's "first 5 members"). */
const HEROES = 5;

/** State types an invite or knock shows before joining (Synapse's room_prejoin_state defaults). */
const STRIPPED_STATE_TYPES = ["m.room.create", "m.room.join_rules", "m.room.name", "m.room.avatar", "m.room.canonical_alias", "m.room.encryption", "m.room.topic"];

export interface RoomSummary {
  "m.heroes"?: string[];
  "m.joined_member_count": number;
  "m.invited_member_count": number;
}

export interface EphemeralEvent {
  type: string;
  content: Record<string, unknown>;
}

export function createRoomExtras(deps: {
  repo: SyncRepo;
  cache: EventCache;
  stateStore: Pick<StateStore, "state">;
  formatter: ClientEventFormatter;
  typing: Pick<Typing, "changesSince">;
  receipts: Pick<Receipts, "changes">;
}) {
  const { repo, cache } = deps;
  return {
    /** Member counts of every room; heroes for rooms without a name or canonical alias. */
    async summaries(roomIds: readonly string[], userId: string): Promise<Map<string, RoomSummary>> {
      const rows = await repo.summaries(roomIds);
      const unnamed = rows.filter((r) => !r.name && !r.canonicalAlias).map((r) => r.roomId);
      const heroes = Map.groupBy(await repo.heroes(unnamed, userId, HEROES), (h) => h.roomId);
      const result = new Map<string, RoomSummary>();
      for (const row of rows) {
        const summary: RoomSummary = { "m.joined_member_count": row.joined, "m.invited_member_count": row.invited };
        const candidates = heroes.get(row.roomId);
        if (candidates) {
          // Joined and invited members come first; left and banned ones only when there are none.
          const present = candidates.filter((h) => h.membership === "join" || h.membership === "invite");
          summary["m.heroes"] = (present.length > 0 ? present : candidates).map((h) => h.userId);
        } else if (unnamed.includes(row.roomId)) summary["m.heroes"] = [];
        result.set(row.roomId, summary);
      }
      return result;
    },

    /** Stripped state at the invite or knock event, with the event itself (client format) last. */
    async strippedState(memberEventId: string, viewer: Viewer): Promise<JsonObject[]> {
      const member = await cache.one(memberEventId);
      if (!member || member.stateSnapshot === null) return [];
      const state = await deps.stateStore.state(member.stateSnapshot);
      const ids = STRIPPED_STATE_TYPES.map((type) => state.get(stateKey(type, ""))).filter((id): id is string => id !== undefined);
      if (member.sender !== member.stateKey) {
        const inviter = state.get(stateKey("m.room.member", member.sender));
        if (inviter) ids.push(inviter);
      }
      const events = await cache.get(ids);
      const stripped = events.map((e: StoredEvent) => ({ type: e.type, state_key: e.stateKey ?? "", content: (e.pdu.content as JsonObject) ?? {}, sender: e.sender }));
      const [own] = await deps.formatter.format([member], viewer);
      return [...stripped, own as unknown as JsonObject];
    },

    /**
     * m.typing (each changed room's whole list) and m.receipt (receipts changed in the range; others'
     * m.read.private never) per room.
     */
    async ephemeral(roomIds: readonly string[], userId: string, typingSince: number, receipts: { after: number; upTo: number }, initial: boolean): Promise<Map<string, EphemeralEvent[]>> {
      const result = new Map<string, EphemeralEvent[]>();
      const push = (roomId: string, event: EphemeralEvent) => (result.get(roomId) ?? result.set(roomId, []).get(roomId)!).push(event);
      for (const change of deps.typing.changesSince(typingSince, new Set(roomIds))) {
        if (initial && change.userIds.length === 0) continue;
        push(change.roomId, { type: "m.typing", content: { user_ids: change.userIds } });
      }
      if (receipts.upTo > receipts.after) {
        for (const { roomId, event } of receiptEvents(await deps.receipts.changes(roomIds, userId, receipts.after, receipts.upTo))) push(roomId, event);
      }
      return result;
    },
  };
}

export type RoomExtras = ReturnType<typeof createRoomExtras>;

// Power levels as clients' actions need them (the auth rules in the engine enforce them on
// events; these answer "may this user do X" before an event is built).
// https://spec.matrix.org/v1.19/client-server-api/#mroompower_levels
import { stateKey as keyOf } from "../engine/index.ts";
import type { JsonObject } from "../protocol/signed-json.ts";
import type { RoomHead } from "./room-heads.ts";
import type { EventCache } from "./stored-event.ts";

async function content(head: RoomHead, cache: EventCache, type: string): Promise<JsonObject | undefined> {
  const id = head.state.get(keyOf(type, ""));
  return id ? ((await cache.one(id))?.pdu.content as JsonObject | undefined) : undefined;
}

const num = (value: unknown, fallback: number) => (typeof value === "number" ? value : typeof value === "string" && /^-?\d+$/.test(value) ? Number(value) : fallback);

/** The creators of a room (v12: the create event's sender and additional_creators). */
export async function roomCreators(head: RoomHead, cache: EventCache): Promise<Set<string>> {
  const createId = head.state.get(keyOf("m.room.create", ""));
  const create = createId ? await cache.one(createId) : undefined;
  const extra = (create?.pdu.content as JsonObject | undefined)?.additional_creators;
  return new Set([create?.sender ?? head.creator, ...(Array.isArray(extra) ? extra.filter((u): u is string => typeof u === "string") : [])]);
}

/** The user's power level; Infinity for a v12 creator. */
export async function userPower(head: RoomHead, cache: EventCache, userId: string): Promise<number> {
  if (head.rules.privileged_creators && (await roomCreators(head, cache)).has(userId)) return Infinity;
  const pl = await content(head, cache, "m.room.power_levels");
  if (!pl) return (await roomCreators(head, cache)).has(userId) ? 100 : 0;
  const users = (pl.users ?? {}) as Record<string, unknown>;
  return num(users[userId], num(pl.users_default, 0));
}

/** The level an action (ban, kick, redact, invite) or event type needs. */
export async function requiredPower(head: RoomHead, cache: EventCache, what: { action: "ban" | "kick" | "redact" | "invite" } | { eventType: string; isState: boolean }): Promise<number> {
  const pl = (await content(head, cache, "m.room.power_levels")) ?? {};
  if ("action" in what) return num(pl[what.action], what.action === "invite" ? 0 : 50);
  const events = (pl.events ?? {}) as Record<string, unknown>;
  if (events[what.eventType] !== undefined) return num(events[what.eventType], 0);
  // Without a power levels event, state needs 0... the spec's defaults: state_default 50 when the event exists, else 0.
  return what.isState ? num(pl.state_default, Object.keys(pl).length === 0 ? 0 : 50) : num(pl.events_default, 0);
}

export async function hasPower(head: RoomHead, cache: EventCache, userId: string, what: Parameters<typeof requiredPower>[2]): Promise<boolean> {
  return (await userPower(head, cache, userId)) >= (await requiredPower(head, cache, what));
}

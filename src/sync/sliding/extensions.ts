// Sliding sync extensions (MSC4186 "Extensions"; their shapes as Synapse serves them, MSC3884
// e2ee, MSC3885 to_device, MSC3959 account_data, MSC3960 receipts, MSC3961 typing), reading
// the same sources as /v3/sync. Each is on when the request has `{enabled: true}` for it; rooms
// are those the request's lists and subscriptions select.
import { receiptEvents, type Receipts } from "../../rooms/receipts.ts";
import type { Typing } from "../../rooms/typing.ts";
import type { AccountDataRepo } from "../../storage/repos/account-data.ts";
import type { DeviceLists } from "../device-lists.ts";
import type { PushRulesSource } from "../sources.ts";
import type { ToDevice } from "../to-device.ts";

export interface ExtensionPositions {
  events: number;
  accountData: number;
  receipts: number;
  typing: number;
  pushRules: number;
  toDevice: number;
  deviceLists: number;
}

export interface ExtensionDeps {
  accountData: Pick<AccountDataRepo, "changes">;
  receipts: Pick<Receipts, "changes">;
  typing: Pick<Typing, "changesSince">;
  pushRules?: PushRulesSource;
  toDevice?: Pick<ToDevice, "forSync">;
  deviceLists?: Pick<DeviceLists, "changes" | "keyCounts">;
}

export interface ExtensionInput {
  config: Record<string, Record<string, unknown>>;
  userId: string;
  deviceId: string | null;
  /** Positions of the previous response (null: first of the connection). */
  since: ExtensionPositions | null;
  upTo: ExtensionPositions;
  /** Rooms selected by the request; those sent whole this time get their receipts from the start. */
  rooms: readonly string[];
  initialRooms: ReadonlySet<string>;
  joined: readonly string[];
}

const enabled = (config: Record<string, Record<string, unknown>>, name: string) => config[name]?.enabled === true;

/** The extensions' answers (only non-empty ones count as news) and the to-device position handed out. */
export async function buildExtensions(deps: ExtensionDeps, o: ExtensionInput): Promise<{ extensions: Record<string, unknown>; news: boolean; toDevice: number }> {
  const out: Record<string, unknown> = {};
  let news = false;
  let toDevicePosition = o.upTo.toDevice;
  const roomSet = new Set(o.rooms);
  const tasks: Promise<void>[] = [];

  if (enabled(o.config, "account_data")) tasks.push((async () => {
    const changes = await deps.accountData.changes(o.userId, o.since?.accountData ?? 0, o.upTo.accountData);
    const global = changes.filter((c) => c.roomId === "").map((c) => ({ type: c.type, content: c.content }));
    if (deps.pushRules && (!o.since || (await deps.pushRules.lastChange(o.userId)) > o.since.pushRules)) {
      global.push({ type: "m.push_rules", content: await deps.pushRules.pushRules(o.userId) });
    }
    const rooms: Record<string, { type: string; content: unknown }[]> = {};
    for (const c of changes) if (c.roomId !== "" && roomSet.has(c.roomId)) (rooms[c.roomId] ??= []).push({ type: c.type, content: c.content });
    news ||= global.length > 0 || Object.keys(rooms).length > 0;
    out.account_data = { global, rooms };
  })());

  if (enabled(o.config, "receipts")) tasks.push((async () => {
    const fresh = o.rooms.filter((id) => o.initialRooms.has(id) || !o.since);
    const known = o.since ? o.rooms.filter((id) => !o.initialRooms.has(id)) : [];
    const [a, b] = await Promise.all([
      fresh.length > 0 ? deps.receipts.changes(fresh, o.userId, 0, o.upTo.receipts) : [],
      known.length > 0 && o.since!.receipts < o.upTo.receipts ? deps.receipts.changes(known, o.userId, o.since!.receipts, o.upTo.receipts) : [],
    ]);
    const rooms: Record<string, { type: string; content: Record<string, unknown> }> = {};
    for (const { roomId, event } of receiptEvents([...a, ...b])) {
      const merged = (rooms[roomId] ??= { type: "m.receipt", content: {} });
      for (const [eventId, byType] of Object.entries(event.content)) {
        const target = (merged.content[eventId] ??= {}) as Record<string, Record<string, unknown>>;
        for (const [type, byUser] of Object.entries(byType as Record<string, Record<string, unknown>>)) target[type] = { ...(target[type] ?? {}), ...byUser };
      }
    }
    news ||= Object.keys(rooms).length > 0;
    out.receipts = { rooms };
  })());

  if (enabled(o.config, "typing")) {
    const rooms: Record<string, { type: string; content: { user_ids: string[] } }> = {};
    for (const change of deps.typing.changesSince(o.since?.typing ?? 0, roomSet)) {
      if (!o.since && change.userIds.length === 0) continue;
      rooms[change.roomId] = { type: "m.typing", content: { user_ids: change.userIds } };
    }
    news ||= Object.keys(rooms).length > 0;
    out.typing = { rooms };
  }

  if (enabled(o.config, "to_device") && deps.toDevice) tasks.push((async () => {
    // The client acknowledges with the extension's own `since` (the next_batch it was given).
    const raw = o.config.to_device!.since;
    const since = typeof raw === "string" && /^\d{1,16}$/.test(raw) ? Number(raw) : (o.since?.toDevice ?? null);
    const { events, position } = await deps.toDevice!.forSync(o.userId, o.deviceId, since, o.upTo.toDevice);
    toDevicePosition = position;
    news ||= events.length > 0;
    out.to_device = { next_batch: String(position), events };
  })());

  if (enabled(o.config, "e2ee") && deps.deviceLists) tasks.push((async () => {
    const lists = deps.deviceLists!;
    const [changes, counts] = await Promise.all([
      o.since ? lists.changes(o.userId, o.joined, { events: o.since.events, deviceLists: o.since.deviceLists }, { events: o.upTo.events, deviceLists: o.upTo.deviceLists }) : { changed: [], left: [] },
      o.deviceId ? lists.keyCounts(o.userId, o.deviceId) : { oneTimeKeyCounts: {}, unusedFallbackKeyTypes: [] },
    ]);
    news ||= changes.changed.length > 0 || changes.left.length > 0;
    out.e2ee = { device_lists: changes, device_one_time_keys_count: counts.oneTimeKeyCounts, device_unused_fallback_key_types: counts.unusedFallbackKeyTypes };
  })());

  await Promise.all(tasks);
  return { extensions: out, news, toDevice: toDevicePosition };
}

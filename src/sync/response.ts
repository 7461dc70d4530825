// Assembles the /sync response from a plan (./sync.ts): room sections, account data, presence,
// and the E2EE placeholders.
// https://spec.matrix.org/v1.19/client-server-api/#get_matrixclientv3sync
import type { JsonObject } from "../protocol/signed-json.ts";
import type { ClientEvent, Viewer } from "../rooms/client-events.ts";
import type { RoomEventFilter } from "../rooms/event-filter.ts";
import type { StoredEvent } from "../rooms/stored-event.ts";
import { positionToken } from "../rooms/pagination-token.ts";
import { eventAllowed, projectFields } from "./filter.ts";
import type { PresenceEvent } from "./presence-source.ts";
import type { EphemeralEvent, RoomSummary } from "./room-extras.ts";
import type { RoomTimeline } from "./room-timelines.ts";
import type { RoomUnreadCounts } from "./sources.ts";
import type { SyncDeps, SyncPlan } from "./sync.ts";

export interface SyncResponse {
  next_batch: string;
  rooms: { join: Record<string, JsonObject>; invite: Record<string, JsonObject>; knock: Record<string, JsonObject>; leave: Record<string, JsonObject> };
  account_data: { events: JsonObject[] };
  presence: { events: PresenceEvent[] };
  /** E2EE placeholders until issue 7: to-device messages, device list changes, one-time key counts. */
  to_device: { events: JsonObject[] };
  device_lists: { changed: string[]; left: string[] };
  device_one_time_keys_count: Record<string, number>;
  device_unused_fallback_key_types?: string[];
}

type Deps = Pick<SyncDeps, "timelines" | "extras" | "formatter" | "presence" | "unreadCounts" | "pushRules" | "repo" | "toDevice" | "deviceLists">;

export async function assembleResponse(
  deps: Deps,
  p: SyncPlan,
  timeline: { filter: RoomEventFilter; limit: number },
  /** `use_state_after` (v1.16, MSC4222): each room's state up to the timeline's end, as `state_after`. */
  stateAfter = false,
): Promise<{ response: Omit<SyncResponse, "next_batch">; empty: boolean }> {
  const { filter, user } = p;
  const viewer: Viewer = { userId: user.userId, deviceId: user.deviceId };
  const roomFilter = filter.room ?? {};
  const ranges = [...p.joinRanges, ...p.leaveRanges];
  const joinIds = p.joinRanges.map((r) => r.roomId);

  // To-device messages read (and acknowledged) alongside the rooms; it fixes next_batch's to-device part.
  const toDevicePending = deps.toDevice ? deps.toDevice.forSync(user.userId, user.deviceId, p.since?.toDevice ?? null, p.upTo.toDevice) : null;
  toDevicePending?.catch(() => {}); // awaited below; a room read failing first must not leave it unhandled
  // Summaries first: with lazy loading the heroes' member events go into the state.
  const deviceListsPending = deviceListFields(deps, p);
  deviceListsPending.catch(() => {}); // awaited below, as to-device
  const [summaries, ephemeral, presence, pushRules] = await Promise.all([
    deps.extras.summaries(joinIds, user.userId),
    deps.extras.ephemeral(p.joined, user.userId, p.since?.typing ?? 0, { after: p.since?.receipts ?? 0, upTo: p.upTo.receipts }, p.initial),
    presenceEvents(deps, p),
    pushRulesEvent(deps, p),
  ]);
  for (const range of p.joinRanges) {
    const heroes = summaries.get(range.roomId)?.["m.heroes"];
    if (heroes && roomFilter.state?.lazy_load_members) range.extraMembers = [...(range.extraMembers ?? []), ...heroes];
  }
  const roomAccountData = new Map<string, JsonObject[]>();
  const globalAccountData: JsonObject[] = [];
  for (const row of p.accountData) {
    const event = { type: row.type, content: row.content as JsonObject };
    if (row.roomId === "") {
      if (eventAllowed(filter.account_data, row.type)) globalAccountData.push(event);
    } else if (eventAllowed(roomFilter.account_data, row.type) && allowsRoom(roomFilter.account_data, row.roomId)) {
      (roomAccountData.get(row.roomId) ?? roomAccountData.set(row.roomId, []).get(row.roomId)!).push(event);
    }
  }
  if (pushRules && eventAllowed(filter.account_data, "m.push_rules")) globalAccountData.push(pushRules);
  const limitEvents = <T>(events: T[], limit?: number) => (limit === undefined ? events : events.slice(-limit));

  // Rooms with something new; their unread counts are read with the timelines.
  const joined = new Set(p.joined);
  const joinedWithNews = [...new Set([...joinIds, ...ephemeral.keys(), ...roomAccountData.keys()])].filter((id) => joined.has(id));
  const [loaded, unread] = await Promise.all([
    deps.timelines.load(ranges, {
      limit: timeline.limit, timeline: timeline.filter, state: roomFilter.state ?? {}, viewer, ignoredUsers: p.ignoredUsers, resetLazyMembers: p.initial, stateAfter,
    }),
    deps.unreadCounts && joinedWithNews.length > 0 ? deps.unreadCounts.unreadCounts(user.userId, joinedWithNews) : new Map<string, RoomUnreadCounts>(),
  ]);
  const serve = await serveEvents(deps, [...loaded.values()], viewer, filter.event_fields, filter.event_format);

  const stateKeyName = stateAfter ? "state_after" : "state";
  const join: Record<string, JsonObject> = {};
  const fullRooms = new Set(p.joinRanges.filter((r) => r.fullState).map((r) => r.roomId));
  for (const roomId of joinedWithNews) {
    const t = loaded.get(roomId);
    const ephemeralEvents = (ephemeral.get(roomId) ?? []).filter((e: EphemeralEvent) => eventAllowed(roomFilter.ephemeral, e.type) && allowsRoom(roomFilter.ephemeral, roomId));
    const accountData = limitEvents(roomAccountData.get(roomId) ?? [], roomFilter.account_data?.limit);
    // A room whose new events were all filtered out or hidden has nothing to say (unless sent whole).
    const timelineNews = t !== undefined && (t.events.length > 0 || t.state.length > 0 || fullRooms.has(roomId));
    if (!timelineNews && ephemeralEvents.length === 0 && accountData.length === 0) continue;
    const counts = unread.get(roomId);
    // With unread_thread_notifications the room's counts are the main timeline's.
    const threaded = timeline.filter.unread_thread_notifications === true;
    const roomCounts = (threaded ? counts?.main : undefined) ?? counts;
    const entry: JsonObject = {
      timeline: timelineBatch(t, serve, p.upTo.events),
      [stateKeyName]: { events: (t?.state ?? []).map((e) => serve.state(e)) },
      ephemeral: { events: limitEvents(ephemeralEvents, roomFilter.ephemeral?.limit) as unknown as JsonObject[] },
      account_data: { events: accountData },
      unread_notifications: { notification_count: roomCounts?.notification_count ?? 0, highlight_count: roomCounts?.highlight_count ?? 0 },
    };
    const summary: RoomSummary | undefined = summaries.get(roomId);
    if (summary) entry.summary = summary as unknown as JsonObject;
    if (threaded && counts && counts.threads.size > 0) {
      entry.unread_thread_notifications = Object.fromEntries(counts.threads) as JsonObject;
    }
    join[roomId] = entry;
  }
  const leave: Record<string, JsonObject> = {};
  for (const range of p.leaveRanges) {
    const t = loaded.get(range.roomId)!;
    leave[range.roomId] = {
      timeline: timelineBatch(t, serve, range.upTo),
      [stateKeyName]: { events: t.state.map((e) => serve.state(e)) },
      account_data: { events: limitEvents(roomAccountData.get(range.roomId) ?? [], roomFilter.account_data?.limit) },
    };
  }
  const invite: Record<string, JsonObject> = {};
  const knock: Record<string, JsonObject> = {};
  await Promise.all([
    ...p.invites.map(async (m) => void (invite[m.roomId] = { invite_state: { events: await deps.extras.strippedState(m.eventId, viewer) } })),
    ...p.knocks.map(async (m) => void (knock[m.roomId] = { knock_state: { events: await deps.extras.strippedState(m.eventId, viewer) } })),
  ]);
  const accountDataEvents = limitEvents(globalAccountData, filter.account_data?.limit);
  const toDevice = await toDevicePending;
  if (toDevice) p.upTo.toDevice = toDevice.position;
  const response = {
    rooms: { join, invite, knock, leave },
    account_data: { events: accountDataEvents },
    presence: { events: presence },
    to_device: { events: (toDevice?.events ?? []) as unknown as JsonObject[] },
    ...(await deviceListsPending),
  };
  const empty = [join, invite, knock, leave].every((section) => Object.keys(section).length === 0) && accountDataEvents.length === 0 && presence.length === 0 && !toDevice?.events.length
    && response.device_lists.changed.length === 0 && response.device_lists.left.length === 0;
  return { response, empty };
}

const allowsRoom = (filter: { rooms?: string[]; not_rooms?: string[] } | undefined, roomId: string) =>
  !filter?.not_rooms?.includes(roomId) && (filter?.rooms === undefined || filter.rooms.includes(roomId));

function timelineBatch(t: RoomTimeline | undefined, serve: Served, upTo: number): JsonObject {
  if (!t) return { events: [], limited: false, prev_batch: positionToken(upTo) };
  return { events: t.events.map((e) => serve.timeline(e)), limited: t.limited, prev_batch: positionToken(t.prevBatch) };
}

interface Served {
  timeline(event: StoredEvent): JsonObject;
  state(event: StoredEvent): JsonObject;
}

/**
 * Formats every timeline event (with bundled aggregations) and state event of the response in
 * two batches, then serves each without room_id (the spec's ClientEventWithoutRoomID), in the
 * filter's event_format and with only its event_fields.
 */
async function serveEvents(deps: Deps, timelines: RoomTimeline[], viewer: Viewer, fields: string[] | undefined, format: "client" | "federation" | undefined): Promise<Served> {
  const { formatter } = deps;
  const [timelineEvents, stateEvents] = [timelines.flatMap((t) => t.events), timelines.flatMap((t) => t.state)];
  const [formattedTimeline, formattedState] = await Promise.all([
    formatter.format(timelineEvents, viewer, { aggregations: true }),
    formatter.format(stateEvents, viewer),
  ]);
  const byId = new Map<string, ClientEvent>();
  formattedState.forEach((e) => byId.set(`s${e.event_id}`, e));
  formattedTimeline.forEach((e) => byId.set(`t${e.event_id}`, e));
  const project = projectFields(fields);
  const serve = (event: StoredEvent, formatted: ClientEvent): JsonObject => {
    const { room_id: _roomId, ...withoutRoom } = formatted;
    const shaped = format === "federation" ? { ...event.pdu, content: formatted.content, unsigned: formatted.unsigned } : withoutRoom;
    return project(shaped) as JsonObject;
  };
  return {
    timeline: (e) => serve(e, byId.get(`t${e.eventId}`)!),
    state: (e) => serve(e, byId.get(`s${e.eventId}`)!),
  };
}

async function presenceEvents(deps: Deps, p: SyncPlan): Promise<PresenceEvent[]> {
  const presence = deps.presence;
  if (!presence?.enabled || (p.since && p.since.presence >= p.upTo.presence)) return [];
  const users = new Set(await deps.repo.joinedUsers(p.joined));
  users.add(p.user.userId);
  const events = await presence.changes(users, p.since?.presence ?? 0, p.upTo.presence);
  const filter = p.filter.presence;
  const allowed = events.filter((e) => eventAllowed(filter, e.type, e.sender));
  return filter?.limit === undefined ? allowed : allowed.slice(-filter.limit);
}

async function pushRulesEvent(deps: Deps, p: SyncPlan): Promise<JsonObject | null> {
  if (!deps.pushRules) return null;
  if (p.since && (await deps.pushRules.lastChange(p.user.userId)) <= p.since.pushRules) return null;
  return { type: "m.push_rules", content: (await deps.pushRules.pushRules(p.user.userId)) as JsonObject };
}

/** device_lists (incremental syncs only), and the requesting device's one-time and fallback key state. */
async function deviceListFields(deps: Deps, p: SyncPlan): Promise<Pick<SyncResponse, "device_lists" | "device_one_time_keys_count" | "device_unused_fallback_key_types">> {
  const lists = deps.deviceLists;
  const { userId, deviceId } = p.user;
  if (!lists) return { device_lists: { changed: [], left: [] }, device_one_time_keys_count: {} };
  const [changes, counts] = await Promise.all([
    p.since ? lists.changes(userId, p.joined, p.since, p.upTo) : { changed: [], left: [] },
    deviceId ? lists.keyCounts(userId, deviceId) : { oneTimeKeyCounts: {}, unusedFallbackKeyTypes: [] },
  ]);
  return { device_lists: changes, device_one_time_keys_count: counts.oneTimeKeyCounts, device_unused_fallback_key_types: counts.unusedFallbackKeyTypes };
}

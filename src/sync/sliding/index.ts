// Simplified sliding sync (MSC4186, /work/shared/msc/4186-simplified-sliding-sync.md): the
// request's lists and room subscriptions select rooms; each selected room is sent with what the
// connection has not seen; with a `pos` and nothing new, the request waits up to `timeout` for
// a change (the /v3/sync notifier).
import type { Viewer } from "../../rooms/client-events.ts";
import type { StreamTracker } from "../../rooms/stream-tracker.ts";
import type { Typing } from "../../rooms/typing.ts";
import { longPoll, type Notifier } from "../notifier.ts";
import { sharedPositions } from "../positions.ts";
import type { PresenceSource, PresenceState } from "../presence-source.ts";
import { MAX_SYNC_TIMEOUT_MS } from "../sync.ts";
import type { Connections, ConnectionSnapshot, SentRoom } from "./connections.ts";
import { buildExtensions, type ExtensionDeps, type ExtensionPositions } from "./extensions.ts";
import type { RoomData, SelectedRoom } from "./room-data.ts";
import type { ListedRoom, RoomLists } from "./room-list.ts";
import { combineConfigs, type RoomConfig, type SlidingRequest } from "./request.ts";

export interface SlidingSyncDeps extends ExtensionDeps {
  connections: Connections;
  lists: RoomLists;
  roomData: RoomData;
  notifier: Notifier;
  stream: Pick<StreamTracker, "persistedUpTo">;
  typingPosition: Pick<Typing, "position">;
  /** Account data and receipts positions at startup (the notifier reports later ones). */
  startPositions: { accountData: number; receipts: number };
  presence?: PresenceSource;
  toDevicePosition?: () => number;
  deviceListsPosition?: () => number;
}

export interface SlidingResponse {
  pos: string;
  lists: Record<string, { count: number }>;
  rooms: Record<string, Record<string, unknown>>;
  extensions: Record<string, unknown>;
}

export function createSlidingSync(deps: SlidingSyncDeps) {
  function positions(): ExtensionPositions {
    const shared = sharedPositions({ ...deps, toDevice: deps.toDevicePosition, deviceLists: deps.deviceListsPosition });
    return { ...shared, typing: deps.typingPosition.position() };
  }

  async function compute(viewer: Viewer, request: SlidingRequest, snapshot: ConnectionSnapshot) {
    const upTo = positions();
    const since = (snapshot.positions as ExtensionPositions | null) ?? null;
    const list = await deps.lists.build(viewer.userId, upTo.events, (roomId) => snapshot.rooms.has(roomId));
    const selectedLists = await deps.lists.select(list, request.lists, viewer.userId);

    // Each selected room with the configs of every rule it matches.
    const byRoom = new Map<string, { room: ListedRoom; lists: string[]; configs: RoomConfig[] }>();
    const entry = (room: ListedRoom) => byRoom.get(room.row.roomId) ?? byRoom.set(room.row.roomId, { room, lists: [], configs: [] }).get(room.row.roomId)!;
    for (const [key, { rooms }] of selectedLists) {
      for (const room of rooms) {
        const e = entry(room);
        e.lists.push(key);
        e.configs.push(request.lists.get(key)!);
      }
    }
    // Subscriptions: rooms the user is or was in (or invited to, or knocked on); others are ignored.
    for (const [roomId, config] of request.subscriptions) {
      const room = list.entry(roomId);
      if (room) entry(room).configs.push(config);
    }
    const selected: SelectedRoom[] = [...byRoom.values()].map(({ room, lists, configs }) => ({ room, lists, ...combineConfigs(configs), isDm: list.directRooms.has(room.row.roomId), strippedOnly: list.neverJoined.has(room.row.roomId) }));

    const built = await deps.roomData.build(selected, snapshot.rooms, upTo.events, since?.events ?? null, viewer);
    const initialRooms = new Set(Object.entries(built.rooms).filter(([, r]) => r.initial === true).map(([id]) => id));
    const { joined } = list;
    const ext = await buildExtensions(deps, { config: request.extensions, userId: viewer.userId, deviceId: viewer.deviceId, since, upTo, rooms: [...byRoom.keys()], initialRooms, joined });

    const lists: Record<string, { count: number }> = {};
    const listCounts = new Map<string, number>();
    let countsMoved = false;
    for (const [key, { count }] of selectedLists) {
      lists[key] = { count };
      listCounts.set(key, count);
      if (snapshot.listCounts.get(key) !== count) countsMoved = true;
    }
    const rooms = new Map<string, SentRoom>(snapshot.rooms);
    for (const [roomId, sent] of built.sent) rooms.set(roomId, sent);
    const next: ConnectionSnapshot = { positions: { ...upTo, toDevice: ext.toDevice }, rooms, listCounts };
    const empty = Object.keys(built.rooms).length === 0 && !countsMoved && !ext.news;
    return { body: { lists, rooms: built.rooms, extensions: ext.extensions }, next, empty, joined, token: `s${upTo.events}` };
  }

  return {
    /** How many connections are kept (all users). */
    connectionCount: () => deps.connections.size(),

    /** Drops the connections of deleted devices (logout, device deletion, deactivation). */
    forgetDevices(userId: string, deviceIds: readonly string[]): void {
      for (const deviceId of deviceIds) deps.connections.forget(userId, deviceId);
    },

    /** One request of a connection: at once when there is news (or no `pos`), else after a wait of up to `timeout`. */
    async sync(viewer: Viewer, request: SlidingRequest, setPresence: PresenceState | undefined, signal?: AbortSignal): Promise<SlidingResponse> {
      const { userId, deviceId } = viewer;
      const snapshot = deps.connections.begin(userId, deviceId, request.connId, request.pos);
      if (deps.presence?.enabled) await deps.presence.setFromSync(userId, setPresence ?? "online");
      const timeoutMs = Math.min(request.timeout, MAX_SYNC_TIMEOUT_MS);
      return longPoll(deps.notifier, userId, { timeoutMs, mayWait: request.pos !== null, signal }, async () => {
        const result = await compute(viewer, request, snapshot);
        return { ...result, answer: () => ({ pos: deps.connections.commit(userId, deviceId, request.connId, result.token, result.next), ...result.body }) };
      });
    },
  };
}

export type SlidingSync = ReturnType<typeof createSlidingSync>;

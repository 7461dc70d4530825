// Per-connection state of sliding sync, in memory, keyed by (user, device, conn_id): what each
// room was last sent as, so later responses carry only changes (MSC4186 "Connections").
// Each `pos` handed out names a snapshot of that state. A request with the newest pos confirms it
// (older snapshots are dropped); a retry with the previous pos starts again from that one; any
// other pos is unknown (400 M_UNKNOWN_POS, the client starts over).
import { MatrixError } from "../../protocol/matrix-error.ts";

/** Limit: connections kept in the process; past it the least recently used one is dropped. */
export const MAX_CONNECTIONS = 10_000;
/** Limit: connections per device (MSC "Security considerations"). */
export const MAX_CONNECTIONS_PER_DEVICE = 20;
/** Limit: a connection unused this long is forgotten (its next request gets M_UNKNOWN_POS). */
export const CONNECTION_TTL_MS = 30 * 60_000;

/** What a room was last sent as on the connection. Replaced, never mutated, once stored. */
export interface SentRoom {
  membership: string;
  membershipEventId: string;
  /** Events position up to which the room's timeline was sent. */
  position: number;
  timelineLimit: number;
  /** Required state sent: state key -> event id (member events included). */
  state: ReadonlyMap<string, string>;
  /** The last value sent of each scalar field (JSON), to send only changes. */
  fields: Readonly<Record<string, string>>;
  /** The required_state config it was sent with (JSON), to notice an expansion. */
  config: string;
}

export interface ConnectionSnapshot {
  /** Positions of the streams at this pos (null: nothing sent yet). */
  positions: { events: number; accountData: number; receipts: number; typing: number; pushRules: number; toDevice: number; deviceLists: number } | null;
  rooms: ReadonlyMap<string, SentRoom>;
  listCounts: ReadonlyMap<string, number>;
}

interface Connection {
  key: string;
  deviceKey: string;
  snapshots: Map<string, ConnectionSnapshot>;
  usedAt: number;
  counter: number;
}

const EMPTY: ConnectionSnapshot = { positions: null, rooms: new Map(), listCounts: new Map() };

/** MSC4186's errcode, not in the spec's list (src/protocol/errcodes.ts) yet: hence the cast. */
export const unknownPos = () => new MatrixError(400, "M_UNKNOWN_POS", "Unknown or expired pos: start a new connection");

export function createConnections(now: () => number = Date.now) {
  const connections = new Map<string, Connection>();

  const drop = (c: Connection) => connections.delete(c.key);
  function sweep(): void {
    const cutoff = now() - CONNECTION_TTL_MS;
    // Map order is least recently used first (touch re-inserts).
    for (const c of connections.values()) {
      if (c.usedAt >= cutoff && connections.size <= MAX_CONNECTIONS) break;
      drop(c);
    }
  }
  const touch = (c: Connection) => {
    c.usedAt = now();
    connections.delete(c.key);
    connections.set(c.key, c);
  };

  return {
    /**
     * The snapshot a request starts from: empty without pos (a new connection replaces the old one
     * of that conn_id), else the one `pos` names. Throws M_UNKNOWN_POS for any other pos.
     */
    begin(userId: string, deviceId: string | null, connId: string, pos: string | null): ConnectionSnapshot {
      sweep();
      const deviceKey = JSON.stringify([userId, deviceId]);
      const key = JSON.stringify([userId, deviceId, connId]);
      const existing = connections.get(key);
      if (pos === null) {
        if (existing) drop(existing);
        const ofDevice = [...connections.values()].filter((c) => c.deviceKey === deviceKey);
        if (ofDevice.length >= MAX_CONNECTIONS_PER_DEVICE) drop(ofDevice[0]!);
        const c: Connection = { key, deviceKey, snapshots: new Map(), usedAt: now(), counter: 0 };
        connections.set(key, c);
        return EMPTY;
      }
      const snapshot = existing?.snapshots.get(pos);
      if (!existing || !snapshot) throw unknownPos();
      // The client processed `pos`: snapshots before it are done with, and any after it were never used.
      for (const other of existing.snapshots.keys()) if (other !== pos) existing.snapshots.delete(other);
      touch(existing);
      return snapshot;
    },

    /** Stores the snapshot a response hands out and returns its pos suffix (unique per connection). */
    commit(userId: string, deviceId: string | null, connId: string, token: string, snapshot: ConnectionSnapshot): string {
      const key = JSON.stringify([userId, deviceId, connId]);
      let c = connections.get(key);
      if (!c) {
        // Dropped (cap) while computing: start it again so the pos handed out stays valid.
        c = { key, deviceKey: JSON.stringify([userId, deviceId]), snapshots: new Map(), usedAt: now(), counter: 0 };
        connections.set(key, c);
      }
      // "s<events>_<n>": its leading position also works as a /messages `from` (MSC: pos in /messages).
      const pos = `${token}_${++c.counter}`;
      c.snapshots.set(pos, snapshot);
      touch(c);
      return pos;
    },

    /** Drops the connections of a device (logged out) or of every device of a user (deactivated). */
    forget(userId: string, deviceId?: string | null): void {
      for (const c of connections.values()) {
        const [u, d] = JSON.parse(c.deviceKey) as [string, string | null];
        if (u === userId && (deviceId === undefined || d === deviceId)) drop(c);
      }
    },

    size: () => connections.size,
  };
}

export type Connections = ReturnType<typeof createConnections>;

// A per-room value kept in memory and updated from the room bus (recency, room facts), read from
// the database in one batch for rooms not known yet. A room being read already has a placeholder
// the bus writes into, merged with what the read returns, so an event announced while the read
// ran is not lost.
export interface RoomCache<V> {
  /** The value a bus event should update: the room's, or its placeholder while it is read; undefined for rooms not kept. */
  target(roomId: string): V | undefined;
  /** Reads the rooms not kept (in one batch), then answers for them (undefined for a room dropped since, past the limit). */
  of(roomIds: readonly string[]): Promise<(roomId: string) => V | undefined>;
}

export function createRoomCache<V>(o: {
  /** The placeholder a room starts from while it is read. */
  empty: () => V;
  /** Values read from the database; rooms left out get `empty()`. */
  load: (roomIds: readonly string[]) => Promise<Map<string, V>>;
  /** Merges what the bus wrote into the placeholder with what was read. */
  combine: (seen: V, loaded: V) => V;
  /** Limit: rooms kept; past it the least recently loaded are dropped. */
  max: number;
}): RoomCache<V> {
  const known = new Map<string, V>();
  const loading = new Map<string, V>();
  const remember = (roomId: string, value: V) => {
    known.delete(roomId);
    known.set(roomId, value);
    if (known.size > o.max) known.delete(known.keys().next().value as string);
  };
  return {
    target: (roomId) => known.get(roomId) ?? loading.get(roomId),
    async of(roomIds) {
      const missing = roomIds.filter((id) => !known.has(id));
      const read = new Map<string, V>();
      if (missing.length > 0) {
        const placed = missing.filter((id) => !loading.has(id));
        for (const id of placed) loading.set(id, o.empty());
        try {
          const loaded = await o.load(missing);
          for (const id of missing) {
            const seen = known.get(id) ?? loading.get(id) ?? o.empty();
            const value = o.combine(seen, loaded.get(id) ?? o.empty());
            remember(id, value);
            read.set(id, value);
            loading.delete(id);
          }
        } finally {
          for (const id of placed) loading.delete(id);
        }
      }
      return (roomId) => known.get(roomId) ?? read.get(roomId);
    },
  };
}

// POST /rooms/{roomId}/read_markers: the fully read marker (m.fully_read room account data) and,
// in the same call, the m.read and m.read.private receipts, treated exactly as /receipt would.
// https://spec.matrix.org/v1.19/client-server-api/#fully-read-markers
import type { Receipts } from "./receipts.ts";

export interface ReadMarkers {
  "m.fully_read"?: string;
  "m.read"?: string;
  "m.read.private"?: string;
}

export function createReadMarkers(deps: { receipts: Pick<Receipts, "post" | "checkTarget"> }) {
  const { receipts } = deps;
  return {
    async set(userId: string, roomId: string, markers: ReadMarkers): Promise<void> {
      const given = (["m.fully_read", "m.read", "m.read.private"] as const).filter((type) => markers[type] !== undefined);
      // All checks first, so a refused marker leaves the others unwritten.
      for (const type of given) await receipts.checkTarget(userId, roomId, markers[type]!);
      for (const type of given) await receipts.post(userId, roomId, type, markers[type]!, undefined);
    },
  };
}

export type ReadMarkersService = ReturnType<typeof createReadMarkers>;

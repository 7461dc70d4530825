// Receipts logic over a fake RoomReader and an in-memory repo: who may send, thread_id rules,
// "only forward", m.fully_read as account data, read markers' all-or-nothing, sync batching.
import { beforeEach, describe, expect, test } from "bun:test";
import type { MatrixError } from "../../src/protocol/matrix-error.ts";
import { createReadMarkers } from "../../src/rooms/read-markers.ts";
import { createReceipts, receiptEvents, type ReceiptEventInfo, type Receipts } from "../../src/rooms/receipts.ts";
import type { ReceiptRow } from "../../src/storage/repos/receipts.ts";
import { fakeRoomReader } from "./ephemeral-fakes.ts";

const ROOM = "!room:test.local";
const alice = "@alice:test.local";
const bob = "@bob:test.local";

/** The receipts table in memory, with the repo's contract (replace per key, new position each write). */
function memoryRepo() {
  const rows = new Map<string, ReceiptRow>();
  let position = 0;
  const key = (roomId: string, type: string, userId: string, threadId: string) => JSON.stringify([roomId, type, userId, threadId]);
  return {
    rows,
    eventOf: async (roomId: string, type: string, userId: string, threadId: string) => rows.get(key(roomId, type, userId, threadId))?.eventId ?? null,
    put: async (row: Omit<ReceiptRow, "streamPosition">) => {
      rows.set(key(row.roomId, row.receiptType, row.userId, row.threadId), { ...row, streamPosition: ++position });
      return position;
    },
    changes: async (roomIds: readonly string[], viewer: string, after: number, upTo: number) =>
      [...rows.values()]
        .filter((r) => roomIds.includes(r.roomId) && r.streamPosition > after && r.streamPosition <= upTo && (r.receiptType !== "m.read.private" || r.userId === viewer))
        .sort((a, b) => a.streamPosition - b.streamPosition),
    maxPosition: async () => position,
  };
}

// Events: $1..$5 in order; $root opens a thread with $t1 (m.thread) and $t2 (annotation of $t1); $ref references $root.
const ordering: Record<string, number> = { $1: 1, $2: 2, $3: 3, $4: 4, $5: 5, $root: 6, $t1: 7, $t2: 8, $ref: 9 };
const relations: Record<string, { relatesTo: string; relType: string | null }> = {
  $t1: { relatesTo: "$root", relType: "m.thread" },
  $t2: { relatesTo: "$t1", relType: "m.annotation" },
  $ref: { relatesTo: "$root", relType: "m.reference" },
};
const events: ReceiptEventInfo = {
  streamOrdering: async (_roomId, eventId) => ordering[eventId] ?? null,
  relation: async (_roomId, eventId) => relations[eventId] ?? null,
};

let repo: ReturnType<typeof memoryRepo>;
let receipts: Receipts;
let accountData: [string, string | null, string, Record<string, unknown>][];
let changed: [string, number][];

beforeEach(() => {
  const rooms = fakeRoomReader();
  rooms.addRoom(ROOM, { [alice]: "join", [bob]: "invite" });
  for (const eventId of Object.keys(ordering)) rooms.addEvent(ROOM, eventId);
  rooms.addEvent(ROOM, "$secret", [alice]);
  repo = memoryRepo();
  accountData = [];
  changed = [];
  receipts = createReceipts({
    repo,
    rooms: rooms.reader,
    events,
    accountData: { putAsServer: async (...args) => (accountData.push(args), 1) },
    now: () => 42,
    changed: (roomId, position) => void changed.push([roomId, position]),
  });
});

const refusal = (promise: Promise<unknown>) =>
  promise.then(
    () => null,
    (error: MatrixError) => [error.status, error.errcode],
  );
const stored = () => [...repo.rows.values()].map((r) => [r.receiptType, r.threadId, r.eventId]);

describe("storing", () => {
  test("m.read and m.read.private are kept apart, with ts, and announced", async () => {
    await receipts.post(alice, ROOM, "m.read", "$2", undefined);
    await receipts.post(alice, ROOM, "m.read.private", "$3", undefined);
    expect(stored()).toEqual([["m.read", "", "$2"], ["m.read.private", "", "$3"]]);
    expect([...repo.rows.values()][0]!.data).toEqual({ ts: 42 });
    expect(changed).toEqual([[ROOM, 1], [ROOM, 2]]);
  });

  test("receipts only move forward; the same event again is no new position", async () => {
    await receipts.post(alice, ROOM, "m.read", "$3", undefined);
    await receipts.post(alice, ROOM, "m.read", "$2", undefined);
    await receipts.post(alice, ROOM, "m.read", "$3", undefined);
    expect(stored()).toEqual([["m.read", "", "$3"]]);
    await receipts.post(alice, ROOM, "m.read", "$4", undefined);
    expect(stored()).toEqual([["m.read", "", "$4"]]);
    expect(changed.map(([, p]) => p)).toEqual([1, 2]);
  });

  test("m.fully_read is room account data, not a receipt", async () => {
    await receipts.post(alice, ROOM, "m.fully_read", "$2", undefined);
    expect(accountData).toEqual([[alice, ROOM, "m.fully_read", { event_id: "$2" }]]);
    expect(stored()).toEqual([]);
  });
});

describe("threads", () => {
  test("unthreaded, main and per-thread receipts are separate", async () => {
    await receipts.post(alice, ROOM, "m.read", "$5", undefined);
    await receipts.post(alice, ROOM, "m.read", "$4", "main");
    await receipts.post(alice, ROOM, "m.read", "$t1", "$root");
    expect(stored()).toEqual([["m.read", "", "$5"], ["m.read", "main", "$4"], ["m.read", "$root", "$t1"]]);
  });

  test("which events fit which thread", async () => {
    for (const [eventId, threadId] of [["$root", "main"], ["$root", "$root"], ["$t2", "$root"], ["$ref", "$root"], ["$ref", "main"]]) {
      expect(await refusal(receipts.post(alice, ROOM, "m.read", eventId!, threadId))).toBeNull();
    }
    for (const [eventId, threadId] of [["$t1", "main"], ["$t2", "main"], ["$1", "$root"], ["$t1", "$other"]]) {
      expect([eventId, await refusal(receipts.post(alice, ROOM, "m.read", eventId!, threadId))]).toEqual([eventId, [400, "M_INVALID_PARAM"]]);
    }
  });

  test("bad thread_id values: 400 M_INVALID_PARAM, nothing stored", async () => {
    for (const threadId of ["", 12, null, {}, "not-an-event"]) {
      expect(await refusal(receipts.post(alice, ROOM, "m.read", "$1", threadId))).toEqual([400, "M_INVALID_PARAM"]);
    }
    expect(await refusal(receipts.post(alice, ROOM, "m.fully_read", "$1", "main"))).toEqual([400, "M_INVALID_PARAM"]);
    expect(stored()).toEqual([]);
    expect(accountData).toEqual([]);
  });
});

describe("refusals", () => {
  test("unknown receipt type, bad ids: 400 M_INVALID_PARAM", async () => {
    expect(await refusal(receipts.post(alice, ROOM, "m.unread", "$1", undefined))).toEqual([400, "M_INVALID_PARAM"]);
    expect(await refusal(receipts.post(alice, "room", "m.read", "$1", undefined))).toEqual([400, "M_INVALID_PARAM"]);
    expect(await refusal(receipts.post(alice, ROOM, "m.read", "1", undefined))).toEqual([400, "M_INVALID_PARAM"]);
  });

  test("not joined (invited, stranger): 403; unknown or invisible event: 404", async () => {
    expect(await refusal(receipts.post(bob, ROOM, "m.read", "$1", undefined))).toEqual([403, "M_FORBIDDEN"]);
    expect(await refusal(receipts.post("@eve:test.local", ROOM, "m.read", "$1", undefined))).toEqual([403, "M_FORBIDDEN"]);
    expect(await refusal(receipts.post(alice, ROOM, "m.read", "$nope", undefined))).toEqual([404, "M_NOT_FOUND"]);
    expect(await refusal(receipts.post(alice, ROOM, "m.read", "$secret", undefined))).toEqual([404, "M_NOT_FOUND"]);
    expect(await refusal(receipts.post(alice, ROOM, "m.fully_read", "$secret", undefined))).toEqual([404, "M_NOT_FOUND"]);
    expect([stored(), accountData, changed]).toEqual([[], [], []]);
  });
});

describe("read markers", () => {
  test("all three in one call", async () => {
    await createReadMarkers({ receipts }).set(alice, ROOM, { "m.fully_read": "$1", "m.read": "$2", "m.read.private": "$3" });
    expect(accountData).toEqual([[alice, ROOM, "m.fully_read", { event_id: "$1" }]]);
    expect(stored()).toEqual([["m.read", "", "$2"], ["m.read.private", "", "$3"]]);
  });

  test("one refused marker writes none", async () => {
    const result = await refusal(createReadMarkers({ receipts }).set(alice, ROOM, { "m.fully_read": "$1", "m.read": "$secret" }));
    expect(result).toEqual([404, "M_NOT_FOUND"]);
    expect([stored(), accountData]).toEqual([[], []]);
  });
});

describe("reading for sync", () => {
  test("others' m.read.private stay hidden; one m.receipt per room and thread", async () => {
    await receipts.post(alice, ROOM, "m.read", "$2", undefined);
    await receipts.post(alice, ROOM, "m.read.private", "$3", undefined);
    await receipts.post(alice, ROOM, "m.read", "$4", "main");
    const upTo = await receipts.position();
    expect((await receipts.changes([ROOM], bob, 0, upTo)).map((r) => r.receiptType)).toEqual(["m.read", "m.read"]);
    const own = await receipts.changes([ROOM], alice, 0, upTo);
    expect(receiptEvents(own)).toEqual([
      { roomId: ROOM, event: { type: "m.receipt", content: { $2: { "m.read": { [alice]: { ts: 42 } } }, $3: { "m.read.private": { [alice]: { ts: 42 } } } } } },
      { roomId: ROOM, event: { type: "m.receipt", content: { $4: { "m.read": { [alice]: { ts: 42, thread_id: "main" } } } } } },
    ]);
    expect(await receipts.changes([ROOM], alice, 2, upTo)).toHaveLength(1);
  });
});

// POST /search (room_events): matching, visibility, filters, ordering, pagination, groups,
// context and state, and the refusals.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { roomsTestServer, type RoomsTestServer, type Session } from "../helpers/rooms.ts";

let server: RoomsTestServer;
let alice: Session;
let bob: Session;
let carol: Session;
const enc = encodeURIComponent;
const v3 = "/_matrix/client/v3";

beforeAll(async () => {
  server = await roomsTestServer({ ALLOW_GUEST_ACCESS: "true" });
  alice = await server.register("alice");
  bob = await server.register("bob");
  carol = await server.register("carol");
});
afterAll(() => server.close());

function search(user: Session, criteria: Record<string, unknown>, nextBatch?: string) {
  const query = nextBatch === undefined ? "" : `?next_batch=${enc(nextBatch)}`;
  return server.call("POST", `${v3}/search${query}`, { token: user.token, body: { search_categories: { room_events: criteria } } });
}
async function roomEvents(user: Session, criteria: Record<string, unknown>, nextBatch?: string): Promise<any> {
  const res = await search(user, criteria, nextBatch);
  if (res.status !== 200) throw new Error(`search: ${res.status} ${JSON.stringify(res.body)}`);
  return res.body.search_categories.room_events;
}
const ids = (body: any): string[] => body.results.map((r: any) => r.result.event_id);

describe("matching", () => {
  let roomId: string;
  let martians: string;
  beforeAll(async () => {
    roomId = await server.createRoom(alice, { name: "Observatory", topic: "Watching the skies" });
    martians = await server.sendText(alice, roomId, "The Martians are coming tonight");
    await server.sendText(alice, roomId, "hello world");
  });

  test("finds a message by a word, with rank, count, highlights and the client event", async () => {
    const body = await roomEvents(alice, { search_term: "martians" });
    expect(ids(body)).toEqual([martians]);
    expect(body.count).toBe(1);
    expect(body.highlights).toContain("martians");
    expect(body.results[0].rank).toBeGreaterThan(0);
    const event = body.results[0].result;
    expect(event).toMatchObject({ type: "m.room.message", room_id: roomId, sender: alice.userId, content: { body: "The Martians are coming tonight" } });
    expect(event.unsigned.age).toBeGreaterThanOrEqual(0);
    expect(body.next_batch).toBeUndefined();
  });

  test("words match as prefixes, and highlights name the words found", async () => {
    const body = await roomEvents(alice, { search_term: "MARTIAN tonig" });
    expect(ids(body)).toEqual([martians]);
    expect(body.highlights).toEqual(expect.arrayContaining(["martian", "martians", "tonight"]));
  });

  test("all words must match; phrases, or and negation follow web search syntax", async () => {
    expect(ids(await roomEvents(alice, { search_term: "martians world" }))).toEqual([]);
    expect(ids(await roomEvents(alice, { search_term: '"are coming"' }))).toEqual([martians]);
    expect(ids(await roomEvents(alice, { search_term: '"coming are"' }))).toEqual([]);
    expect(ids(await roomEvents(alice, { search_term: "martians or world" }))).toHaveLength(2);
    expect(ids(await roomEvents(alice, { search_term: "martians -tonight" }))).toEqual([]);
  });

  test("room names and topics are searched, and keys narrow the search", async () => {
    const all = await roomEvents(alice, { search_term: "observatory skies", filter: { rooms: [roomId] } });
    expect(all.results).toHaveLength(0);
    const names = await roomEvents(alice, { search_term: "observatory", keys: ["content.name"] });
    expect(names.results.map((r: any) => r.result.type)).toEqual(["m.room.name"]);
    expect((await roomEvents(alice, { search_term: "skies", keys: ["content.topic"] })).results.map((r: any) => r.result.type)).toEqual(["m.room.topic"]);
    expect((await roomEvents(alice, { search_term: "observatory", keys: ["content.body"] })).results).toHaveLength(0);
  });

  test("a term without words finds nothing", async () => {
    expect(await roomEvents(alice, { search_term: "?!" })).toEqual({ count: 0, highlights: [], results: [] });
    expect(await roomEvents(alice, { search_term: "" })).toEqual({ count: 0, highlights: [], results: [] });
  });

  test("a redacted message is no longer found", async () => {
    const secret = await server.sendText(alice, roomId, "zebra crossing");
    expect(ids(await roomEvents(alice, { search_term: "zebra" }))).toEqual([secret]);
    await server.ok("PUT", `${v3}/rooms/${enc(roomId)}/redact/${enc(secret)}/r1`, { token: alice.token, body: {} });
    expect(ids(await roomEvents(alice, { search_term: "zebra" }))).toEqual([]);
  });
});

describe("who sees what", () => {
  test("rooms the user is not in are not searched", async () => {
    const room = await server.createRoom(bob, { preset: "public_chat" });
    await server.sendText(bob, room, "walrus sighting");
    expect(ids(await roomEvents(alice, { search_term: "walrus" }))).toEqual([]);
    expect(ids(await roomEvents(bob, { search_term: "walrus" }))).toHaveLength(1);
  });

  test("history visibility joined hides what was sent before the user joined", async () => {
    const room = await server.createRoom(alice, { preset: "public_chat", initial_state: [{ type: "m.room.history_visibility", state_key: "", content: { history_visibility: "joined" } }] });
    await server.sendText(alice, room, "narwhal before");
    expect((await server.join(carol, room)).status).toBe(200);
    const after = await server.sendText(alice, room, "narwhal after");
    expect(ids(await roomEvents(carol, { search_term: "narwhal" }))).toEqual([after]);
    expect(ids(await roomEvents(alice, { search_term: "narwhal" }))).toHaveLength(2);
  });

  test("a room the user left is searched up to their leave, past newer hidden matches; forgetting it ends that", async () => {
    const room = await server.createRoom(alice, { preset: "public_chat" });
    expect((await server.join(carol, room)).status).toBe(200);
    const seen = [await server.sendText(alice, room, "okapi one"), await server.sendText(alice, room, "okapi two")];
    await server.ok("POST", `${v3}/rooms/${enc(room)}/leave`, { token: carol.token, body: {} });
    for (let i = 0; i < 6; i++) await server.sendText(alice, room, `okapi later ${i}`);
    // Newest first: the six after the leave come first and are skipped across several reads.
    const body = await roomEvents(carol, { search_term: "okapi", order_by: "recent", filter: { limit: 2 } });
    expect(ids(body)).toEqual([seen[1]!, seen[0]!]);
    await server.ok("POST", `${v3}/rooms/${enc(room)}/forget`, { token: carol.token, body: {} });
    expect(ids(await roomEvents(carol, { search_term: "okapi" }))).toEqual([]);
  });
});

describe("filters, ordering and pagination", () => {
  let room1: string;
  let room2: string;
  const sent: { id: string; room: string; sender: string }[] = [];
  beforeAll(async () => {
    room1 = await server.createRoom(alice, { preset: "public_chat" });
    room2 = await server.createRoom(alice, { preset: "public_chat" });
    for (const room of [room1, room2]) expect((await server.join(bob, room)).status).toBe(200);
    for (let i = 0; i < 5; i++) {
      for (const [room, user] of [[room1, alice], [room2, bob]] as const) {
        sent.push({ id: await server.sendText(user, room, `llama ${"llama ".repeat(i)}number ${i}`), room, sender: user.userId });
      }
    }
    await server.setState(alice, room1, "m.room.name", "", { name: "llama pen" });
  });

  test("rooms, not_rooms, senders, not_senders, types (with wildcards) and contains_url filter", async () => {
    const messages = sent.map((s) => s.id);
    const inRoom1 = sent.filter((s) => s.room === room1).map((s) => s.id);
    const byBob = sent.filter((s) => s.sender === bob.userId).map((s) => s.id);
    const all = await roomEvents(alice, { search_term: "llama", filter: { limit: 50 } });
    expect(all.results).toHaveLength(11);
    expect(all.count).toBe(11);
    const only = async (filter: Record<string, unknown>) => (await roomEvents(alice, { search_term: "llama", filter: { limit: 50, ...filter } }));
    expect(ids(await only({ rooms: [room1], types: ["m.room.message"] })).sort()).toEqual(inRoom1.sort());
    expect(ids(await only({ not_rooms: [room1] })).sort()).toEqual(sent.filter((s) => s.room === room2).map((s) => s.id).sort());
    expect(ids(await only({ senders: [bob.userId] })).sort()).toEqual(byBob.sort());
    expect((await only({ senders: [bob.userId] })).count).toBe(5);
    expect(ids(await only({ not_senders: [bob.userId], types: ["m.room.message"] })).sort()).toEqual(inRoom1.sort());
    expect((await only({ types: ["m.room.n*"] })).results.map((r: any) => r.result.type)).toEqual(["m.room.name"]);
    expect(ids(await only({ not_types: ["*.name"] })).sort()).toEqual(messages.sort());
    expect((await only({ contains_url: true })).results).toHaveLength(0);
    expect((await only({ contains_url: false })).results).toHaveLength(11);
  });

  test("rank puts the best match first; recent puts the newest first", async () => {
    const ranked = await roomEvents(alice, { search_term: "llama", keys: ["content.body"], filter: { rooms: [room1] } });
    const ranks = ranked.results.map((r: any) => r.rank);
    expect(ranks).toEqual([...ranks].sort((a, b) => b - a));
    expect(ranked.results[0].result.content.body).toContain("number 4");
    const recent = await roomEvents(alice, { search_term: "number", order_by: "recent", filter: { limit: 3 } });
    expect(ids(recent)).toEqual(sent.slice(-3).reverse().map((s) => s.id));
  });

  test.each(["rank", "recent"])("next_batch pages through every match once (%s)", async (order) => {
    const seen: string[] = [];
    let token: string | undefined;
    let pages = 0;
    do {
      const body = await roomEvents(alice, { search_term: "number", order_by: order, filter: { limit: 3 } }, token);
      expect(body.count).toBe(10);
      seen.push(...ids(body));
      token = body.next_batch;
      pages++;
    } while (token && pages < 10);
    expect(pages).toBe(4);
    expect(seen.sort()).toEqual(sent.map((s) => s.id).sort());
  });

  test("groups by room and sender, and a group's next_batch stays within the group", async () => {
    const body = await roomEvents(alice, { search_term: "number", order_by: "recent", filter: { limit: 4 }, groupings: { group_by: [{ key: "room_id" }, { key: "sender" }] } });
    const byRoom = body.groups.room_id;
    expect(Object.keys(byRoom).sort()).toEqual([room1, room2].sort());
    expect(byRoom[room2]).toMatchObject({ order: 1, results: [sent[9]!.id, sent[7]!.id] });
    expect(byRoom[room1]).toMatchObject({ order: 2, results: [sent[8]!.id, sent[6]!.id] });
    expect(body.groups.sender[bob.userId].results).toEqual([sent[9]!.id, sent[7]!.id]);
    const more = await roomEvents(alice, { search_term: "number", order_by: "recent", filter: { limit: 4 } }, byRoom[room1].next_batch);
    expect(ids(more)).toEqual([sent[4]!.id, sent[2]!.id, sent[0]!.id]);
    expect(more.next_batch).toBeUndefined();
    const bobs = await roomEvents(alice, { search_term: "number", order_by: "recent", filter: { limit: 4 } }, body.groups.sender[bob.userId].next_batch);
    expect(ids(bobs)).toEqual([sent[5]!.id, sent[3]!.id, sent[1]!.id]);
  });

  test("limit is capped per page", async () => {
    const room = await server.createRoom(carol);
    for (let i = 0; i < 52; i++) await server.sendText(carol, room, `capybara ${i}`);
    const body = await roomEvents(carol, { search_term: "capybara", filter: { limit: 1000 } });
    expect(body.results).toHaveLength(50);
    expect(body.count).toBe(52);
    expect(ids(await roomEvents(carol, { search_term: "capybara", filter: { limit: 1000 } }, body.next_batch))).toHaveLength(2);
  });
});

describe("context and state", () => {
  test("event_context gives the events around a result, tokens /messages accepts and the senders' profiles then", async () => {
    await server.ok("PUT", `${v3}/profile/${enc(bob.userId)}/displayname`, { token: bob.token, body: { displayname: "Bob Then" } });
    const room = await server.createRoom(alice, { preset: "public_chat", name: "Context room" });
    expect((await server.join(bob, room)).status).toBe(200);
    const before = [await server.sendText(alice, room, "one"), await server.sendText(bob, room, "two")];
    const hit = await server.sendText(alice, room, "gazelle");
    const after = [await server.sendText(bob, room, "three"), await server.sendText(alice, room, "four"), await server.sendText(alice, room, "five")];
    await server.ok("PUT", `${v3}/profile/${enc(bob.userId)}/displayname`, { token: bob.token, body: { displayname: "Bob Now" } });

    const body = await roomEvents(alice, { search_term: "gazelle", event_context: { before_limit: 2, after_limit: 2, include_profile: true }, include_state: true });
    const context = body.results[0].context;
    expect(context.events_before.map((e: any) => e.event_id)).toEqual([before[1], before[0]]);
    expect(context.events_after.map((e: any) => e.event_id)).toEqual([after[0], after[1]]);
    expect(context.profile_info[bob.userId]).toEqual({ displayname: "Bob Then" });
    expect(context.profile_info[alice.userId]).toEqual({});
    const older = await server.ok("GET", `${v3}/rooms/${enc(room)}/messages?dir=b&limit=1&from=${enc(context.start)}`, { token: alice.token });
    expect(older.chunk.map((e: any) => e.event_id)).not.toContain(before[0]);
    const newer = await server.ok("GET", `${v3}/rooms/${enc(room)}/messages?dir=f&limit=1&from=${enc(context.end)}`, { token: alice.token });
    expect(newer.chunk.map((e: any) => e.event_id)).toEqual([after[2]]);

    const name = body.state[room].find((e: any) => e.type === "m.room.name");
    expect(name.content).toEqual({ name: "Context room" });
    expect(Object.keys(body.state)).toEqual([room]);
  });

  test("without event_context or include_state neither is returned", async () => {
    const body = await roomEvents(alice, { search_term: "gazelle" });
    expect(body.results[0].context).toBeUndefined();
    expect(body.state).toBeUndefined();
    expect(body.groups).toBeUndefined();
  });
});

describe("refusals", () => {
  test("a body without room_events, or with a bad order_by, key or filter, is M_BAD_JSON", async () => {
    const bad = [
      {},
      { search_categories: {} },
      { search_categories: { unknown_category: { search_term: "x" } } },
      { search_categories: { room_events: {} } },
      { search_categories: { room_events: { search_term: "x", order_by: "oldest" } } },
      { search_categories: { room_events: { search_term: "x", keys: ["content.url"] } } },
      { search_categories: { room_events: { search_term: "x", filter: { limit: 0 } } } },
      { search_categories: { room_events: { search_term: "x", groupings: { group_by: [{ key: "type" }] } } } },
      { search_categories: { room_events: { search_term: "x", event_context: { before_limit: -1 } } } },
    ];
    for (const body of bad) {
      const res = await server.call("POST", `${v3}/search`, { token: alice.token, body });
      expect(res.status, JSON.stringify(body)).toBe(400);
      expect(res.body.errcode).toBe("M_BAD_JSON");
    }
  });

  test("a next_batch that is not ours, or from another order, is M_INVALID_PARAM", async () => {
    const recent = await roomEvents(alice, { search_term: "number", order_by: "recent", filter: { limit: 1 } });
    expect(recent.next_batch).toBeString();
    for (const [order, token] of [["rank", recent.next_batch], ["recent", "garbage"], ["recent", Buffer.from("[1,2]").toString("base64url")]]) {
      const res = await search(alice, { search_term: "number", order_by: order }, token);
      expect(res.status).toBe(400);
      expect(res.body.errcode).toBe("M_INVALID_PARAM");
    }
  });

  test("no token is M_MISSING_TOKEN; guests are refused", async () => {
    const res = await server.call("POST", `${v3}/search`, { body: { search_categories: { room_events: { search_term: "x" } } } });
    expect(res.status).toBe(401);
    expect(res.body.errcode).toBe("M_MISSING_TOKEN");
    const guest = await server.registerGuest();
    const refused = await search(guest, { search_term: "x" });
    expect(refused.status).toBe(403);
    expect(refused.body.errcode).toBe("M_GUEST_ACCESS_FORBIDDEN");
  });

  test("the r0 path answers too", async () => {
    const res = await server.call("POST", "/_matrix/client/r0/search", { token: alice.token, body: { search_categories: { room_events: { search_term: "martians" } } } });
    expect(res.status).toBe(200);
    expect(res.body.search_categories.room_events.results).toHaveLength(1);
  });
});

// Reading history: GET /messages, /context/{eventId}, /event/{eventId}, v1 /timestamp_to_event,
// with history visibility on every path.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { roomsTestServer, type RoomsTestServer, type Session } from "../helpers/rooms.ts";

let server: RoomsTestServer;
let alice: Session;
let bob: Session;
let carol: Session;

const enc = encodeURIComponent;
const room = (roomId: string) => `/_matrix/client/v3/rooms/${enc(roomId)}`;

beforeAll(async () => {
  server = await roomsTestServer({ ALLOW_GUEST_ACCESS: "true" });
  alice = await server.register("alice");
  bob = await server.register("bob");
  carol = await server.register("carol");
});
afterAll(() => server.close());

function messages(user: Session, roomId: string, params: Record<string, string | number | object>) {
  const query = new URLSearchParams(Object.entries(params).map(([k, v]): [string, string] => [k, typeof v === "object" ? JSON.stringify(v) : String(v)]));
  return server.call("GET", `${room(roomId)}/messages?${query}`, { token: user.token });
}
async function messagesOk(user: Session, roomId: string, params: Record<string, string | number | object>) {
  const res = await messages(user, roomId, params);
  if (res.status !== 200) throw new Error(`messages: ${res.status} ${JSON.stringify(res.body)}`);
  return res.body;
}
const bodies = (chunk: any[]) => chunk.filter((e) => e.type === "m.room.message").map((e) => e.content.body);
const leave = (user: Session, roomId: string) => server.ok("POST", `${room(roomId)}/leave`, { token: user.token, body: {} });
const setVisibility = async (roomId: string, visibility: string) =>
  expect((await server.setState(alice, roomId, "m.room.history_visibility", "", { history_visibility: visibility })).status).toBe(200);

describe("GET /messages", () => {
  test("dir=b from the end is newest first, dir=f from the start oldest first", async () => {
    const roomId = await server.createRoom(alice, { preset: "public_chat" });
    for (const body of ["one", "two", "three"]) await server.sendText(alice, roomId, body);
    const back = await messagesOk(alice, roomId, { dir: "b", limit: 3 });
    expect(bodies(back.chunk)).toEqual(["three", "two", "one"]);
    expect(back.start).toMatch(/^s\d+$/);
    expect(back.end).toMatch(/^s\d+$/);
    const forward = await messagesOk(alice, roomId, { dir: "f", limit: 100 });
    expect(forward.chunk[0].type).toBe("m.room.create");
    expect(bodies(forward.chunk)).toEqual(["one", "two", "three"]);
    expect(forward.end).toBeUndefined();
    // Continuing backwards from `end` gives the events before the first page.
    const next = await messagesOk(alice, roomId, { dir: "b", from: back.end, limit: 100 });
    expect(next.start).toBe(back.end);
    expect(next.chunk.at(-1).type).toBe("m.room.create");
    expect(next.end).toBeUndefined();
  });

  test("paginating back through a 250-event room with limit 50 serves each event once and omits end at the start", async () => {
    const roomId = await server.createRoom(alice);
    const sent: string[] = [];
    for (let i = 0; i < 250; i++) sent.push(await server.sendText(alice, roomId, `m${i}`));
    const seen: string[] = [];
    let from: string | undefined;
    let pages = 0;
    for (;;) {
      const page = await messagesOk(alice, roomId, { dir: "b", limit: 50, ...(from ? { from } : {}) });
      pages++;
      expect(page.chunk.length).toBeLessThanOrEqual(50);
      seen.push(...page.chunk.map((e: any) => e.event_id));
      if (page.end === undefined) break;
      from = page.end;
    }
    expect(new Set(seen).size).toBe(seen.length);
    const messagesSeen = seen.filter((id) => sent.includes(id));
    expect(messagesSeen).toEqual([...sent].reverse());
    // The createRoom events come last (the room's start), then no `end`.
    expect(seen.length).toBeGreaterThan(250);
    expect(pages).toBe(Math.ceil(seen.length / 50));

    // Forwards from the start the same events come in the opposite order.
    const forward: string[] = [];
    let fromF: string | undefined;
    for (;;) {
      const page = await messagesOk(alice, roomId, { dir: "f", limit: 50, ...(fromF ? { from: fromF } : {}) });
      forward.push(...page.chunk.map((e: any) => e.event_id));
      if (page.end === undefined) break;
      fromF = page.end;
    }
    expect(forward).toEqual([...seen].reverse());
  });

  test("from and to bound a page; limit 0 returns no events and an end to continue from", async () => {
    const roomId = await server.createRoom(alice);
    for (const body of ["a", "b", "c", "d"]) await server.sendText(alice, roomId, body);
    const newest = await messagesOk(alice, roomId, { dir: "b", limit: 1 });
    expect(bodies(newest.chunk)).toEqual(["d"]);
    const older = await messagesOk(alice, roomId, { dir: "b", limit: 2, from: newest.end });
    expect(bodies(older.chunk)).toEqual(["c", "b"]);
    // Forward from `older.end` (before b) up to `newest.end` (before d): b and c only.
    const between = await messagesOk(alice, roomId, { dir: "f", from: older.end, to: newest.end, limit: 10 });
    expect(bodies(between.chunk)).toEqual(["b", "c"]);
    expect(between.end).toBeUndefined();
    const backTo = await messagesOk(alice, roomId, { dir: "b", to: older.end, limit: 10 });
    expect(bodies(backTo.chunk)).toEqual(["d", "c", "b"]);
    const none = await messagesOk(alice, roomId, { dir: "b", limit: 0 });
    expect(none.chunk).toEqual([]);
    expect(none.end).toBe(none.start);
  });

  test("filter: types with wildcards, not_types, senders, not_senders, contains_url", async () => {
    const roomId = await server.createRoom(alice, { preset: "public_chat" });
    expect((await server.join(bob, roomId)).status).toBe(200);
    await server.sendText(alice, roomId, "from alice");
    await server.sendText(bob, roomId, "from bob");
    expect((await server.send(bob, roomId, { msgtype: "m.image", body: "pic", url: "mxc://test.local/pic" })).status).toBe(200);
    expect((await server.send(alice, roomId, { hello: true }, "org.example.custom")).status).toBe(200);

    const types = (chunk: any[]) => chunk.map((e) => e.type);
    const only = await messagesOk(alice, roomId, { dir: "b", filter: { types: ["m.room.mess*"] } });
    expect(bodies(only.chunk)).toEqual(["pic", "from bob", "from alice"]);
    expect(new Set(types(only.chunk))).toEqual(new Set(["m.room.message"]));
    const notTypes = await messagesOk(alice, roomId, { dir: "b", limit: 100, filter: { not_types: ["m.room.*"] } });
    expect(types(notTypes.chunk)).toEqual(["org.example.custom"]);
    const fromBob = await messagesOk(alice, roomId, { dir: "b", limit: 100, filter: { senders: [bob.userId], types: ["m.room.message"] } });
    expect(bodies(fromBob.chunk)).toEqual(["pic", "from bob"]);
    const notBob = await messagesOk(alice, roomId, { dir: "b", limit: 100, filter: { not_senders: [bob.userId], types: ["m.room.message"] } });
    expect(bodies(notBob.chunk)).toEqual(["from alice"]);
    const withUrl = await messagesOk(alice, roomId, { dir: "b", limit: 100, filter: { contains_url: true } });
    expect(bodies(withUrl.chunk)).toEqual(["pic"]);
    const withoutUrl = await messagesOk(alice, roomId, { dir: "b", limit: 100, filter: { contains_url: false, types: ["m.room.message"] } });
    expect(bodies(withoutUrl.chunk)).toEqual(["from bob", "from alice"]);
    const otherRoom = await messagesOk(alice, roomId, { dir: "b", filter: { rooms: ["!elsewhere:test.local"] } });
    expect(otherRoom.chunk).toEqual([]);
  });

  test("lazy_load_members: member events of the chunk's senders, redundant ones only when asked", async () => {
    const roomId = await server.createRoom(alice, { preset: "public_chat" });
    expect((await server.join(bob, roomId)).status).toBe(200);
    expect((await server.join(carol, roomId)).status).toBe(200);
    await server.sendText(bob, roomId, "bob 1");
    await server.sendText(alice, roomId, "alice 1");
    const filter = { lazy_load_members: true, types: ["m.room.message"] };
    const first = await messagesOk(carol, roomId, { dir: "b", limit: 10, filter });
    const members = (state: any[] | undefined) => (state ?? []).map((e: any) => [e.type, e.state_key]).sort();
    expect(members(first.state)).toEqual([["m.room.member", alice.userId], ["m.room.member", bob.userId]]);
    // Asked again by the same device: those members were sent already.
    const again = await messagesOk(carol, roomId, { dir: "b", limit: 10, filter });
    expect(again.state).toBeUndefined();
    const redundant = await messagesOk(carol, roomId, { dir: "b", limit: 10, filter: { ...filter, include_redundant_members: true } });
    expect(members(redundant.state)).toEqual([["m.room.member", alice.userId], ["m.room.member", bob.userId]]);
    // Without lazy loading no state is served.
    expect((await messagesOk(carol, roomId, { dir: "b" })).state).toBeUndefined();
  });

  test("a page of 100 events takes one query of the timeline; visibility and state come from memory", async () => {
    const roomId = await server.createRoom(alice, { preset: "public_chat" });
    expect((await server.join(bob, roomId)).status).toBe(200);
    for (let i = 0; i < 100; i++) await server.sendText(i % 2 ? alice : bob, roomId, `n${i}`);
    await messagesOk(bob, roomId, { dir: "b", limit: 1 }); // warms the formatter's per-room version lookup
    // postgres.js reads options.debug for every statement it sends.
    const options = server.db.db.$client.options as { debug?: unknown };
    const statements: string[] = [];
    options.debug = (_connection: number, query: string) => void statements.push(query);
    try {
      const page = await messagesOk(bob, roomId, { dir: "b", limit: 100 });
      expect(page.chunk).toHaveLength(100);
    } finally {
      delete options.debug;
    }
    expect(statements.filter((q) => /from events where room_id/.test(q))).toHaveLength(1);
    // No per-event reads: events by id, snapshots, membership history (the formatter's transaction
    // ids and bundled relations are batched queries of their own).
    expect(statements.filter((q) => /event_id = any|state_snapshot_entries|state_snapshots|room_memberships|from rooms/.test(q))).toEqual([]);

    // Carol joins later: each event's visibility asks when she joined (shared history), once per page.
    expect((await server.join(carol, roomId)).status).toBe(200);
    const newest = await messagesOk(carol, roomId, { dir: "b", limit: 1 });
    statements.length = 0;
    options.debug = (_connection: number, query: string) => void statements.push(query);
    try {
      const page = await messagesOk(carol, roomId, { dir: "b", limit: 100, from: newest.end });
      expect(bodies(page.chunk)).toHaveLength(100);
    } finally {
      delete options.debug;
    }
    expect(statements.filter((q) => /room_memberships/.test(q))).toHaveLength(1);
  });

  test("a redacted event is served redacted, with unsigned.redacted_because", async () => {
    const roomId = await server.createRoom(alice);
    const eventId = await server.sendText(alice, roomId, "secret");
    const redaction = await server.ok("PUT", `${room(roomId)}/redact/${enc(eventId)}/r1`, { token: alice.token, body: { reason: "oops" } });
    const page = await messagesOk(alice, roomId, { dir: "b", limit: 5 });
    const redacted = page.chunk.find((e: any) => e.event_id === eventId);
    expect(redacted.content).toEqual({});
    expect(redacted.unsigned.redacted_because.event_id).toBe(redaction.event_id);
    expect(redacted.unsigned.redacted_because.content.reason).toBe("oops");
    expect(page.chunk[0].event_id).toBe(redaction.event_id);
  });

  test("refusals: missing or bad dir, bad tokens, bad limit, bad filter", async () => {
    const roomId = await server.createRoom(alice);
    const cases: [Record<string, string>, number, string][] = [
      [{}, 400, "M_MISSING_PARAM"],
      [{ dir: "x" }, 400, "M_INVALID_PARAM"],
      [{ dir: "b", from: "nonsense" }, 400, "M_INVALID_PARAM"],
      [{ dir: "f", to: "t12" }, 400, "M_INVALID_PARAM"],
      [{ dir: "b", limit: "-1" }, 400, "M_INVALID_PARAM"],
      [{ dir: "b", limit: "ten" }, 400, "M_INVALID_PARAM"],
      [{ dir: "b", filter: "{not json" }, 400, "M_NOT_JSON"],
      [{ dir: "b", filter: '{"types":"m.room.message"}' }, 400, "M_BAD_JSON"],
      [{ dir: "b", filter: "[]" }, 400, "M_BAD_JSON"],
    ];
    for (const [params, status, errcode] of cases) {
      const res = await messages(alice, roomId, params);
      expect([params, res.status, res.body.errcode]).toEqual([params, status, errcode]);
    }
    expect((await server.call("GET", `${room(roomId)}/messages?dir=b`)).status).toBe(401);
  });
});

describe("history visibility on /messages", () => {
  test("a non-member of a joined-visibility room is refused; unknown rooms likewise", async () => {
    const roomId = await server.createRoom(alice, { preset: "public_chat" });
    await setVisibility(roomId, "joined");
    const refused = await messages(bob, roomId, { dir: "b" });
    expect(refused.status).toBe(403);
    expect(refused.body.errcode).toBe("M_FORBIDDEN");
    expect((await messages(bob, "!nowhere:test.local", { dir: "b" })).status).toBe(403);
  });

  test("joined: a member sees from their join on; after leaving, up to their leave", async () => {
    const roomId = await server.createRoom(alice, { preset: "public_chat" });
    await setVisibility(roomId, "joined");
    await server.sendText(alice, roomId, "before bob");
    expect((await server.join(bob, roomId)).status).toBe(200);
    await server.sendText(alice, roomId, "while bob");
    await leave(bob, roomId);
    await server.sendText(alice, roomId, "after bob");
    const page = await messagesOk(bob, roomId, { dir: "b", limit: 100 });
    expect(bodies(page.chunk)).toEqual(["while bob"]);
    expect(page.chunk[0].type).toBe("m.room.member");
    expect(page.chunk[0].content.membership).toBe("leave");
    expect(page.end).toBeUndefined();
    // Forwards the same: nothing after the leave.
    const forward = await messagesOk(bob, roomId, { dir: "f", limit: 100 });
    expect(bodies(forward.chunk)).toEqual(["while bob"]);
    expect(forward.chunk.at(-1).content.membership).toBe("leave");
    // Alice sees everything.
    expect(bodies((await messagesOk(alice, roomId, { dir: "b", limit: 100 })).chunk)).toEqual(["after bob", "while bob", "before bob"]);
  });

  test("shared: a newly joined member sees the history from before their join", async () => {
    const roomId = await server.createRoom(alice, { preset: "public_chat" });
    await server.sendText(alice, roomId, "old news");
    expect((await server.join(bob, roomId)).status).toBe(200);
    expect(bodies((await messagesOk(bob, roomId, { dir: "b", limit: 100 })).chunk)).toEqual(["old news"]);
  });

  test("world_readable: anyone, non-members and guests included, reads the history", async () => {
    const roomId = await server.createRoom(alice, { preset: "public_chat" });
    await setVisibility(roomId, "world_readable");
    await server.sendText(alice, roomId, "for everyone");
    expect(bodies((await messagesOk(carol, roomId, { dir: "b" })).chunk)).toEqual(["for everyone"]);
    const guest = await server.registerGuest();
    expect(bodies((await messagesOk(guest, roomId, { dir: "b" })).chunk)).toEqual(["for everyone"]);
    await setVisibility(roomId, "shared");
    expect((await messages(guest, roomId, { dir: "b" })).status).toBe(403);
    expect((await messages(carol, roomId, { dir: "b" })).status).toBe(403);
    // Events from before the room became world readable stay hidden from non-members.
    const later = await server.createRoom(alice, { preset: "public_chat" });
    await setVisibility(later, "joined");
    await server.sendText(alice, later, "members only");
    await setVisibility(later, "world_readable");
    await server.sendText(alice, later, "public now");
    expect(bodies((await messagesOk(carol, later, { dir: "b", limit: 100 })).chunk)).toEqual(["public now"]);
  });
});

describe("GET /context/{eventId}", () => {
  test("events before and after, tokens that continue with /messages, and the state", async () => {
    const roomId = await server.createRoom(alice, { name: "Context" });
    const ids: string[] = [];
    for (let i = 0; i < 9; i++) ids.push(await server.sendText(alice, roomId, `c${i}`));
    const ctx = await server.ok("GET", `${room(roomId)}/context/${enc(ids[4]!)}?limit=4`, { token: alice.token });
    expect(ctx.event.event_id).toBe(ids[4]);
    expect(ctx.events_before.map((e: any) => e.content.body)).toEqual(["c3", "c2"]);
    expect(ctx.events_after.map((e: any) => e.content.body)).toEqual(["c5", "c6"]);
    expect(ctx.state.find((e: any) => e.type === "m.room.name").content.name).toBe("Context");
    const before = await messagesOk(alice, roomId, { dir: "b", from: ctx.start, limit: 1 });
    expect(bodies(before.chunk)).toEqual(["c1"]);
    const after = await messagesOk(alice, roomId, { dir: "f", from: ctx.end, limit: 1 });
    expect(bodies(after.chunk)).toEqual(["c7"]);

    // The filter applies to the surrounding events and state, not to the event itself.
    const filtered = await server.ok("GET", `${room(roomId)}/context/${enc(ids[0]!)}?limit=2&filter=${enc(JSON.stringify({ types: ["m.room.name"] }))}`, { token: alice.token });
    expect(filtered.event.event_id).toBe(ids[0]);
    expect(filtered.events_before.map((e: any) => e.type)).toEqual(["m.room.name"]);
    expect(filtered.events_after).toEqual([]);
    expect(filtered.state.map((e: any) => e.type)).toEqual(["m.room.name"]);

    const lazy = await server.ok("GET", `${room(roomId)}/context/${enc(ids[4]!)}?limit=2&filter=${enc(JSON.stringify({ lazy_load_members: true }))}`, { token: alice.token });
    expect(lazy.state.map((e: any) => [e.type, e.state_key])).toEqual([["m.room.member", alice.userId]]);
  });

  test("refusals: non-member 403, unknown or hidden event 404, bad filter 400", async () => {
    const roomId = await server.createRoom(alice, { preset: "public_chat" });
    await setVisibility(roomId, "joined");
    const early = await server.sendText(alice, roomId, "before bob");
    const res = await server.call("GET", `${room(roomId)}/context/${enc(early)}`, { token: bob.token });
    expect([res.status, res.body.errcode]).toEqual([403, "M_FORBIDDEN"]);
    expect((await server.join(bob, roomId)).status).toBe(200);
    const hidden = await server.call("GET", `${room(roomId)}/context/${enc(early)}`, { token: bob.token });
    expect([hidden.status, hidden.body.errcode]).toEqual([404, "M_NOT_FOUND"]);
    const unknown = await server.call("GET", `${room(roomId)}/context/${enc("$nope")}`, { token: bob.token });
    expect(unknown.status).toBe(404);
    const bad = await server.call("GET", `${room(roomId)}/context/${enc(early)}?filter=nope`, { token: alice.token });
    expect([bad.status, bad.body.errcode]).toEqual([400, "M_NOT_JSON"]);
  });
});

describe("GET /event/{eventId}", () => {
  test("serves a visible event, redacted when it was, and 404 otherwise", async () => {
    const roomId = await server.createRoom(alice, { preset: "public_chat" });
    await setVisibility(roomId, "joined");
    const eventId = await server.sendText(alice, roomId, "hello");
    const got = await server.ok("GET", `${room(roomId)}/event/${enc(eventId)}`, { token: alice.token });
    expect(got.content.body).toBe("hello");
    expect(got.event_id).toBe(eventId);
    expect(got.room_id).toBe(roomId);

    const hidden = await server.call("GET", `${room(roomId)}/event/${enc(eventId)}`, { token: bob.token });
    expect([hidden.status, hidden.body.errcode]).toEqual([404, "M_NOT_FOUND"]);
    const otherRoom = await server.createRoom(alice);
    expect((await server.call("GET", `${room(otherRoom)}/event/${enc(eventId)}`, { token: alice.token })).status).toBe(404);
    expect((await server.call("GET", `${room(roomId)}/event/${enc("$missing")}`, { token: alice.token })).status).toBe(404);

    await server.ok("PUT", `${room(roomId)}/redact/${enc(eventId)}/r-event`, { token: alice.token, body: {} });
    const redacted = await server.ok("GET", `${room(roomId)}/event/${enc(eventId)}`, { token: alice.token });
    expect(redacted.content).toEqual({});
    expect(redacted.unsigned.redacted_because.type).toBe("m.room.redaction");
  });
});

describe("GET /v1/rooms/{roomId}/timestamp_to_event", () => {
  const url = (roomId: string, query: string) => `/_matrix/client/v1/rooms/${enc(roomId)}/timestamp_to_event?${query}`;

  test("finds the nearest visible event in either direction", async () => {
    const roomId = await server.createRoom(alice);
    server.clock.offset = 1_000_000;
    const first = await server.sendText(alice, roomId, "first");
    const firstTs = (await server.ok("GET", `${room(roomId)}/event/${enc(first)}`, { token: alice.token })).origin_server_ts;
    server.clock.offset = 2_000_000;
    const second = await server.sendText(alice, roomId, "second");
    server.clock.offset = 0;
    const forward = await server.ok("GET", url(roomId, `ts=${firstTs + 1}&dir=f`), { token: alice.token });
    expect(forward.event_id).toBe(second);
    const backward = await server.ok("GET", url(roomId, `ts=${firstTs + 1}&dir=b`), { token: alice.token });
    expect(backward).toEqual({ event_id: first, origin_server_ts: firstTs });
    const none = await server.call("GET", url(roomId, `ts=${firstTs + 10_000_000}&dir=f`), { token: alice.token });
    expect([none.status, none.body.errcode]).toEqual([404, "M_NOT_FOUND"]);
  });

  test("refusals: missing ts or dir, bad dir, non-member", async () => {
    const roomId = await server.createRoom(alice);
    const cases: [string, number, string][] = [
      ["dir=f", 400, "M_MISSING_PARAM"],
      ["ts=5", 400, "M_MISSING_PARAM"],
      ["ts=5&dir=up", 400, "M_INVALID_PARAM"],
      ["ts=soon&dir=f", 400, "M_INVALID_PARAM"],
    ];
    for (const [query, status, errcode] of cases) {
      const res = await server.call("GET", url(roomId, query), { token: alice.token });
      expect([query, res.status, res.body.errcode]).toEqual([query, status, errcode]);
    }
    const outsider = await server.call("GET", url(roomId, `ts=${Date.now()}&dir=b`), { token: bob.token });
    expect([outsider.status, outsider.body.errcode]).toEqual([403, "M_FORBIDDEN"]);
  });
});

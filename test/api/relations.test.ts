// GET /rooms/{roomId}/relations/{eventId}[/{relType}[/{eventType}]]: pagination both ways,
// filters, recurse, visibility; the send-side relation checks; bundled m.replace and
// m.reference aggregations.
// https://spec.matrix.org/v1.19/client-server-api/#relationships-api
// https://spec.matrix.org/v1.19/client-server-api/#event-replacements
// https://spec.matrix.org/v1.19/client-server-api/#event-annotations-and-reactions
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { roomsTestServer, type RoomsTestServer, type Session } from "../helpers/rooms.ts";

let server: RoomsTestServer;
let alice: Session;
let bob: Session;
let carol: Session;
let roomId: string;
const v1 = "/_matrix/client/v1";
const v3 = "/_matrix/client/v3";
const enc = encodeURIComponent;

beforeAll(async () => {
  server = await roomsTestServer();
  alice = await server.register("alice");
  bob = await server.register("bob");
  carol = await server.register("carol");
  roomId = await server.createRoom(alice, { preset: "public_chat" });
  expect((await server.join(bob, roomId)).status).toBe(200);
});
afterAll(() => server.close());

/** Sends an event relating to `parent`; returns its id. */
async function relate(user: Session, room: string, parent: string, relType: string, extra: Record<string, unknown> = {}, type = "m.room.message"): Promise<string> {
  const content = { msgtype: "m.text", body: relType, ...extra, "m.relates_to": { rel_type: relType, event_id: parent, ...((extra["m.relates_to"] as object) ?? {}) } };
  const res = await server.send(user, room, content, type);
  if (res.status !== 200) throw new Error(`relate: ${res.status} ${JSON.stringify(res.body)}`);
  return res.body.event_id;
}
const relations = (user: Session, room: string, parent: string, suffix = "", query = "") =>
  server.call("GET", `${v1}/rooms/${enc(room)}/relations/${enc(parent)}${suffix}${query ? `?${query}` : ""}`, { token: user.token });
const ids = (body: any): string[] => body.chunk.map((e: any) => e.event_id);
const getEvent = (user: Session, room: string, eventId: string) => server.call("GET", `${v3}/rooms/${enc(room)}/event/${enc(eventId)}`, { token: user.token });
const edit = (user: Session, room: string, original: string, body: string) =>
  relate(user, room, original, "m.replace", { body: `* ${body}`, "m.new_content": { msgtype: "m.text", body } });

describe("pagination", () => {
  let root: string;
  let children: string[];
  beforeAll(async () => {
    root = await server.sendText(alice, roomId, "root");
    children = [];
    for (let i = 0; i < 5; i++) children.push(await relate(i % 2 ? bob : alice, roomId, root, "m.reference"));
  });

  test("backwards (the default) pages newest first with next_batch until the end", async () => {
    const first = await relations(alice, roomId, root, "", "limit=2");
    expect(first.status).toBe(200);
    expect(ids(first.body)).toEqual([children[4]!, children[3]!]);
    expect(first.body.prev_batch).toBeUndefined();
    expect(first.body.recursion_depth).toBeUndefined();
    const second = (await relations(alice, roomId, root, "", `limit=2&from=${first.body.next_batch}`)).body;
    expect(ids(second)).toEqual([children[2]!, children[1]!]);
    expect(second.prev_batch).toBe(first.body.next_batch);
    const third = (await relations(alice, roomId, root, "", `limit=2&from=${second.next_batch}`)).body;
    expect(ids(third)).toEqual([children[0]!]);
    expect(third.next_batch).toBeUndefined();
  });

  test("dir=f pages oldest first; `to` stops the page", async () => {
    const first = (await relations(alice, roomId, root, "", "dir=f&limit=2")).body;
    expect(ids(first)).toEqual([children[0]!, children[1]!]);
    const second = (await relations(alice, roomId, root, "", `dir=f&limit=2&from=${first.next_batch}`)).body;
    expect(ids(second)).toEqual([children[2]!, children[3]!]);
    const third = (await relations(alice, roomId, root, "", `dir=f&limit=2&from=${second.next_batch}`)).body;
    expect(ids(third)).toEqual([children[4]!]);
    expect(third.next_batch).toBeUndefined();
    // Back from the newest, down to the point after the second child.
    const bounded = (await relations(alice, roomId, root, "", `to=${first.next_batch}`)).body;
    expect(ids(bounded)).toEqual([children[4]!, children[3]!, children[2]!]);
  });

  test("the default limit is 5 and chunks carry the client event format", async () => {
    for (let i = 0; i < 2; i++) await relate(alice, roomId, root, "m.reference");
    const page = (await relations(alice, roomId, root)).body;
    expect(page.chunk.length).toBe(5);
    expect(page.next_batch).toBeString();
    expect(page.chunk[0]).toMatchObject({ room_id: roomId, type: "m.room.message", content: { "m.relates_to": { rel_type: "m.reference", event_id: root } } });
  });

  test("bad parameters are refused with 400 M_INVALID_PARAM", async () => {
    for (const query of ["limit=0", "limit=-3", "limit=abc", "dir=x", "from=nonsense", "to=nonsense", "recurse=maybe"]) {
      const res = await relations(alice, roomId, root, "", query);
      expect({ query, status: res.status, errcode: res.body.errcode }).toEqual({ query, status: 400, errcode: "M_INVALID_PARAM" });
    }
  });
});

describe("filters and recursion", () => {
  test("relType and eventType select the children", async () => {
    const root = await server.sendText(alice, roomId, "filter root");
    const reference = await relate(alice, roomId, root, "m.reference");
    const custom = await relate(alice, roomId, root, "org.example.rel", {}, "org.example.event");
    const customMessage = await relate(bob, roomId, root, "org.example.rel");
    expect(ids((await relations(alice, roomId, root)).body)).toEqual([customMessage, custom, reference]);
    expect(ids((await relations(alice, roomId, root, "/org.example.rel")).body)).toEqual([customMessage, custom]);
    expect(ids((await relations(alice, roomId, root, "/org.example.rel/org.example.event")).body)).toEqual([custom]);
    expect(ids((await relations(alice, roomId, root, "/m.thread")).body)).toEqual([]);
  });

  test("recurse follows three levels and reports recursion_depth; filters apply at every level", async () => {
    const root = await server.sendText(alice, roomId, "deep root");
    const level1 = await relate(alice, roomId, root, "m.reference");
    const level2 = await relate(bob, roomId, level1, "m.reference");
    const level3 = await relate(alice, roomId, level2, "m.reference");
    await relate(alice, roomId, level3, "m.reference"); // level 4: beyond the depth
    const other = await relate(alice, roomId, root, "org.example.rel");
    const underOther = await relate(alice, roomId, other, "m.reference");

    const direct = (await relations(alice, roomId, root, "", "limit=10")).body;
    expect(ids(direct)).toEqual([other, level1]);
    expect(direct.recursion_depth).toBeUndefined();
    const notRecursing = (await relations(alice, roomId, root, "", "limit=10&recurse=false")).body;
    expect(ids(notRecursing)).toEqual([other, level1]);
    expect(notRecursing.recursion_depth).toBe(1);

    const deep = (await relations(alice, roomId, root, "", "limit=10&recurse=true")).body;
    expect(deep.recursion_depth).toBe(3);
    expect(ids(deep)).toEqual([underOther, other, level3, level2, level1]);
    // An m.reference under a non-matching intermediate is left out.
    const filtered = (await relations(alice, roomId, root, "/m.reference", "limit=10&recurse=true")).body;
    expect(ids(filtered)).toEqual([level3, level2, level1]);
    // Recursive pages paginate like direct ones.
    const first = (await relations(alice, roomId, root, "", "limit=2&recurse=true&dir=f")).body;
    expect(ids(first)).toEqual([level1, level2]);
    const rest = (await relations(alice, roomId, root, "", `limit=10&recurse=true&dir=f&from=${first.next_batch}`)).body;
    expect(ids(rest)).toEqual([level3, other, underOther]);
  });
});

describe("visibility", () => {
  test("an unknown parent, a parent in another room and a non-member's request answer 404", async () => {
    const root = await server.sendText(alice, roomId, "visible root");
    await relate(alice, roomId, root, "m.reference");
    expect((await relations(alice, roomId, "$unknown:test.local")).status).toBe(404);
    const otherRoom = await server.createRoom(alice);
    const wrongRoom = await relations(alice, otherRoom, root);
    expect(wrongRoom.status).toBe(404);
    expect(wrongRoom.body.errcode).toBe("M_NOT_FOUND");
    // Carol never joined this public room; its history is shared (members only).
    expect((await relations(carol, roomId, root)).status).toBe(404);
  });

  test("history visibility hides the parent before a join and the children after a leave", async () => {
    const room = await server.createRoom(alice, { preset: "public_chat" });
    expect((await server.setState(alice, room, "m.room.history_visibility", "", { history_visibility: "joined" })).status).toBe(200);
    const before = await server.sendText(alice, room, "before bob");
    await relate(alice, room, before, "m.reference");
    await server.join(bob, room);
    expect((await relations(bob, room, before)).status).toBe(404);
    expect((await relations(alice, room, before)).status).toBe(200);

    const during = await server.sendText(alice, room, "while bob is here");
    const seen = await relate(alice, room, during, "m.reference");
    expect((await server.call("POST", `${v3}/rooms/${enc(room)}/leave`, { token: bob.token, body: {} })).status).toBe(200);
    const unseen = await relate(alice, room, during, "m.reference");
    expect(ids((await relations(bob, room, during)).body)).toEqual([seen]);
    expect(ids((await relations(alice, room, during)).body)).toEqual([unseen, seen]);
  });

  test("redacted children are no longer related", async () => {
    const root = await server.sendText(alice, roomId, "redacted child root");
    const kept = await relate(alice, roomId, root, "m.reference");
    const gone = await relate(alice, roomId, root, "m.reference");
    await server.ok("PUT", `${v3}/rooms/${enc(roomId)}/redact/${enc(gone)}/r-child`, { token: alice.token, body: {} });
    expect(ids((await relations(alice, roomId, root)).body)).toEqual([kept]);
  });
});

describe("checks on send", () => {
  const refused = async (user: Session, content: Record<string, unknown>, status: number, errcode: string, type = "m.room.message") => {
    const res = await server.send(user, roomId, content, type);
    expect({ status: res.status, errcode: res.body.errcode }).toEqual({ status, errcode });
  };
  const replace = (eventId: string, extra: Record<string, unknown> = { "m.new_content": { msgtype: "m.text", body: "new" } }) => ({
    msgtype: "m.text", body: "* new", ...extra, "m.relates_to": { rel_type: "m.replace", event_id: eventId },
  });

  test("an edit must target an event of the same room, sender and type that is not itself an edit or state", async () => {
    const original = await server.sendText(alice, roomId, "original");
    await refused(bob, replace(original), 400, "M_INVALID_PARAM");
    await refused(alice, replace(original), 400, "M_INVALID_PARAM", "org.example.other");
    await refused(alice, replace(original, {}), 400, "M_INVALID_PARAM");
    const first = await edit(alice, roomId, original, "first");
    await refused(alice, replace(first), 400, "M_INVALID_PARAM");
    const topic = (await server.setState(alice, roomId, "m.room.topic", "", { topic: "t" })).body.event_id;
    await refused(alice, replace(topic), 400, "M_INVALID_PARAM", "m.room.topic");
    const elsewhere = await server.sendText(alice, await server.createRoom(alice), "elsewhere");
    await refused(alice, replace(elsewhere), 400, "M_INVALID_PARAM");
    await refused(alice, replace("$nowhere:test.local"), 400, "M_INVALID_PARAM");
    // A second edit of the original is fine.
    await edit(alice, roomId, original, "second");
  });

  test("a thread cannot start from an event with a relation (400 M_UNKNOWN)", async () => {
    const root = await server.sendText(alice, roomId, "thread root");
    const inThread = await relate(bob, roomId, root, "m.thread");
    const thread = (eventId: string) => ({ msgtype: "m.text", body: "x", "m.relates_to": { rel_type: "m.thread", event_id: eventId } });
    await refused(alice, thread(inThread), 400, "M_UNKNOWN");
    const reference = await relate(alice, roomId, root, "m.reference");
    await refused(alice, thread(reference), 400, "M_UNKNOWN");
    // A reply (m.in_reply_to, no rel_type) may root a thread.
    const reply = (await server.send(alice, roomId, { msgtype: "m.text", body: "reply", "m.relates_to": { "m.in_reply_to": { event_id: root } } })).body.event_id;
    await relate(bob, roomId, reply, "m.thread");
  });

  test("the same annotation twice is refused with M_DUPLICATE_ANNOTATION until the first is redacted", async () => {
    const target = await server.sendText(alice, roomId, "react to me");
    const reaction = (key: unknown) => ({ "m.relates_to": { rel_type: "m.annotation", event_id: target, key } });
    const first = (await server.send(bob, roomId, reaction("👍"), "m.reaction")).body.event_id;
    expect(first).toBeString();
    await refused(bob, reaction("👍"), 400, "M_DUPLICATE_ANNOTATION", "m.reaction");
    // Another key, another sender or another event type is another annotation.
    expect((await server.send(bob, roomId, reaction("👎"), "m.reaction")).status).toBe(200);
    expect((await server.send(alice, roomId, reaction("👍"), "m.reaction")).status).toBe(200);
    expect((await server.send(bob, roomId, reaction("👍"), "org.example.reaction")).status).toBe(200);
    await refused(bob, reaction(undefined), 400, "M_INVALID_PARAM", "m.reaction");
    await refused(bob, reaction("x".repeat(501)), 400, "M_INVALID_PARAM", "m.reaction");
    await server.ok("PUT", `${v3}/rooms/${enc(roomId)}/redact/${enc(first)}/r-reaction`, { token: bob.token, body: {} });
    expect((await server.send(bob, roomId, reaction("👍"), "m.reaction")).status).toBe(200);
  });

  test("two identical annotations sent at once: one is refused", async () => {
    const target = await server.sendText(alice, roomId, "race");
    const reaction = { "m.relates_to": { rel_type: "m.annotation", event_id: target, key: "🏁" } };
    const results = await Promise.all([server.send(bob, roomId, reaction, "m.reaction"), server.send(bob, roomId, reaction, "m.reaction")]);
    expect(results.map((r) => r.status).sort()).toEqual([200, 400]);
  });

  test("malformed relations are not checked (the spec ignores them)", async () => {
    const res = await server.send(alice, roomId, { msgtype: "m.text", body: "x", "m.relates_to": { rel_type: 5, event_id: "$nowhere" } });
    expect(res.status).toBe(200);
  });
});

describe("bundled aggregations", () => {
  test("m.replace bundles the newest valid edit in full; a redacted edit drops out, a redacted original has none", async () => {
    const original = await server.sendText(alice, roomId, "v1");
    const first = await edit(alice, roomId, original, "v2");
    server.clock.offset += 1000;
    const second = await edit(alice, roomId, original, "v3");
    const served = (await getEvent(alice, roomId, original)).body;
    expect(served.content.body).toBe("v1");
    expect(served.unsigned["m.relations"]["m.replace"]).toMatchObject({
      event_id: second, sender: alice.userId, type: "m.room.message", room_id: roomId, content: { "m.new_content": { body: "v3" } },
    });
    await server.ok("PUT", `${v3}/rooms/${enc(roomId)}/redact/${enc(second)}/r-edit`, { token: alice.token, body: {} });
    expect((await getEvent(bob, roomId, original)).body.unsigned["m.relations"]["m.replace"].event_id).toBe(first);
    await server.ok("PUT", `${v3}/rooms/${enc(roomId)}/redact/${enc(original)}/r-original`, { token: alice.token, body: {} });
    const redacted = (await getEvent(alice, roomId, original)).body;
    expect(redacted.content).toEqual({});
    expect(redacted.unsigned["m.relations"]).toBeUndefined();
  });

  test("m.reference bundles the referencing event ids; annotations are not bundled", async () => {
    const target = await server.sendText(alice, roomId, "referenced");
    const one = await relate(alice, roomId, target, "m.reference");
    const two = await relate(bob, roomId, target, "m.reference");
    await server.send(bob, roomId, { "m.relates_to": { rel_type: "m.annotation", event_id: target, key: "🎉" } }, "m.reaction");
    const served = (await getEvent(bob, roomId, target)).body;
    expect(served.unsigned["m.relations"]).toEqual({ "m.reference": { chunk: [{ event_id: one }, { event_id: two }] } });
  });

  test("relations chunks carry their own bundles, and the formatter bundles only when asked", async () => {
    const root = await server.sendText(alice, roomId, "chunk bundles");
    const child = await relate(alice, roomId, root, "m.reference");
    const grandchild = await relate(bob, roomId, child, "m.reference");
    const page = (await relations(alice, roomId, root)).body;
    expect(page.chunk[0].unsigned["m.relations"]).toEqual({ "m.reference": { chunk: [{ event_id: grandchild }] } });

    const events = await server.rooms.cache.get([root]);
    const viewer = { userId: alice.userId, deviceId: alice.deviceId };
    const [plain] = await server.rooms.formatter.format(events, viewer);
    expect(plain!.unsigned["m.relations"]).toBeUndefined();
    const [bundled] = await server.rooms.formatter.format(events, viewer, { aggregations: true });
    expect(bundled!.unsigned["m.relations"]).toEqual({ "m.reference": { chunk: [{ event_id: child }] } });
  });

  test("state events get no bundle", async () => {
    const name = (await server.setState(alice, roomId, "m.room.name", "", { name: "Named" })).body.event_id;
    await relate(alice, roomId, name, "m.reference");
    const events = await server.rooms.cache.get([name]);
    const [formatted] = await server.rooms.formatter.format(events, { userId: alice.userId, deviceId: null }, { aggregations: true });
    expect(formatted!.unsigned["m.relations"]).toBeUndefined();
  });
});

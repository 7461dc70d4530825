// GET /rooms/{roomId}/threads and the m.thread bundled aggregation.
// https://spec.matrix.org/v1.19/client-server-api/#threading
// https://spec.matrix.org/v1.19/client-server-api/#get_matrixclientv1roomsroomidthreads
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { roomsTestServer, type RoomsTestServer, type Session } from "../helpers/rooms.ts";

let server: RoomsTestServer;
let alice: Session;
let bob: Session;
let carol: Session;
const v1 = "/_matrix/client/v1";
const v3 = "/_matrix/client/v3";
const enc = encodeURIComponent;

beforeAll(async () => {
  server = await roomsTestServer();
  alice = await server.register("alice");
  bob = await server.register("bob");
  carol = await server.register("carol");
});
afterAll(() => server.close());

async function reply(user: Session, roomId: string, root: string, body: string): Promise<string> {
  const res = await server.send(user, roomId, { msgtype: "m.text", body, "m.relates_to": { rel_type: "m.thread", event_id: root } });
  if (res.status !== 200) throw new Error(`reply: ${res.status} ${JSON.stringify(res.body)}`);
  return res.body.event_id;
}
const threads = (user: Session, roomId: string, query = "") =>
  server.call("GET", `${v1}/rooms/${enc(roomId)}/threads${query ? `?${query}` : ""}`, { token: user.token });
const ids = (body: any): string[] => body.chunk.map((e: any) => e.event_id);

describe("GET /threads", () => {
  let roomId: string;
  let first: string;
  let second: string;
  let third: string;
  beforeAll(async () => {
    roomId = await server.createRoom(alice, { preset: "public_chat" });
    await server.join(bob, roomId);
    first = await server.sendText(alice, roomId, "first topic");
    second = await server.sendText(bob, roomId, "second topic");
    third = await server.sendText(alice, roomId, "third topic");
    await server.sendText(alice, roomId, "not a thread");
    await reply(alice, roomId, first, "a1");
    await reply(alice, roomId, second, "a2");
    await reply(alice, roomId, third, "a3");
    // Activity in the first thread moves it to the top.
    await reply(bob, roomId, first, "b1");
  });

  test("lists thread roots by latest activity with bundled m.thread summaries", async () => {
    const res = await threads(alice, roomId);
    expect(res.status).toBe(200);
    expect(ids(res.body)).toEqual([first, third, second]);
    expect(res.body.next_batch).toBeUndefined();
    const summary = res.body.chunk[0].unsigned["m.relations"]["m.thread"];
    expect(summary.count).toBe(2);
    expect(summary.current_user_participated).toBe(true);
    expect(summary.latest_event).toMatchObject({ sender: bob.userId, room_id: roomId, content: { body: "b1" } });
  });

  test("include=participated keeps threads the user started or replied to", async () => {
    expect(ids((await threads(bob, roomId, "include=participated")).body)).toEqual([first, second]);
    expect(ids((await threads(bob, roomId, "include=all")).body)).toEqual([first, third, second]);
    expect(ids((await threads(alice, roomId, "include=participated")).body)).toEqual([first, third, second]);
  });

  test("paginates with limit and next_batch", async () => {
    const page1 = (await threads(alice, roomId, "limit=2")).body;
    expect(ids(page1)).toEqual([first, third]);
    const page2 = (await threads(alice, roomId, `limit=2&from=${page1.next_batch}`)).body;
    expect(ids(page2)).toEqual([second]);
    expect(page2.next_batch).toBeUndefined();
  });

  test("refuses bad parameters with 400 and outsiders with 403", async () => {
    for (const query of ["include=mine", "limit=0", "limit=x", "from=garbage"]) {
      const res = await threads(alice, roomId, query);
      expect({ query, status: res.status, errcode: res.body.errcode }).toEqual({ query, status: 400, errcode: "M_INVALID_PARAM" });
    }
    const outsider = await threads(carol, roomId);
    expect(outsider.status).toBe(403);
    expect(outsider.body.errcode).toBe("M_FORBIDDEN");
    expect((await threads(alice, "!unknown:test.local")).status).toBe(403);
  });

  test("a world-readable room lists its threads to anyone", async () => {
    const open = await server.createRoom(alice, { preset: "public_chat" });
    await server.setState(alice, open, "m.room.history_visibility", "", { history_visibility: "world_readable" });
    const root = await server.sendText(alice, open, "open root");
    await reply(alice, open, root, "open reply");
    expect(ids((await threads(carol, open)).body)).toEqual([root]);
  });
});

describe("the m.thread aggregation", () => {
  test("counts live replies, names the latest with its own bundle, and tells who participated", async () => {
    const roomId = await server.createRoom(alice, { preset: "public_chat" });
    await server.join(bob, roomId);
    await server.join(carol, roomId);
    const root = await server.sendText(alice, roomId, "root");
    await reply(bob, roomId, root, "one");
    const doomed = await reply(bob, roomId, root, "two");
    const latest = await reply(bob, roomId, root, "three");
    const latestEdit = (await server.send(bob, roomId, {
      msgtype: "m.text", body: "* three!", "m.new_content": { msgtype: "m.text", body: "three!" }, "m.relates_to": { rel_type: "m.replace", event_id: latest },
    })).body.event_id;
    await server.ok("PUT", `${v3}/rooms/${enc(roomId)}/redact/${enc(doomed)}/r1`, { token: bob.token, body: {} });

    const get = async (user: Session) => (await server.ok("GET", `${v3}/rooms/${enc(roomId)}/event/${enc(root)}`, { token: user.token })).unsigned["m.relations"]["m.thread"];
    const forAlice = await get(alice);
    expect(forAlice.count).toBe(2);
    expect(forAlice.current_user_participated).toBe(true); // she sent the root
    expect(forAlice.latest_event.event_id).toBe(latest);
    expect(forAlice.latest_event.unsigned["m.relations"]["m.replace"].event_id).toBe(latestEdit);
    expect(forAlice.latest_event.unsigned["m.relations"]["m.thread"]).toBeUndefined();
    expect((await get(bob)).current_user_participated).toBe(true); // he replied
    expect((await get(carol)).current_user_participated).toBe(false);

    // The thread's events, through /relations with rel_type m.thread.
    const page = await server.ok("GET", `${v1}/rooms/${enc(roomId)}/relations/${enc(root)}/m.thread`, { token: carol.token });
    expect(page.chunk.length).toBe(2);
    expect(page.chunk[0].event_id).toBe(latest);
  });

  test("a thread whose latest reply the user may not see is not summarised for them", async () => {
    const roomId = await server.createRoom(alice, { preset: "public_chat" });
    await server.join(bob, roomId);
    const root = await server.sendText(alice, roomId, "root");
    await reply(alice, roomId, root, "seen");
    await server.call("POST", `${v3}/rooms/${enc(roomId)}/leave`, { token: bob.token, body: {} });
    await reply(alice, roomId, root, "after bob left");
    const events = await server.rooms.cache.get([root]);
    const [forBob] = await server.rooms.formatter.format(events, { userId: bob.userId, deviceId: null }, { aggregations: true });
    expect(forBob!.unsigned["m.relations"]).toBeUndefined();
    const [forAlice] = await server.rooms.formatter.format(events, { userId: alice.userId, deviceId: null }, { aggregations: true });
    expect((forAlice!.unsigned["m.relations"] as any)["m.thread"].count).toBe(2);
  });
});

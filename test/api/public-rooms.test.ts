// The published room directory: GET/PUT /directory/list/room/{roomId}, GET/POST /publicRooms.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { roomsTestServer, type RoomsTestServer, type Session } from "../helpers/rooms.ts";

let server: RoomsTestServer;
let alice: Session;
let bob: Session;
let carol: Session;
const enc = encodeURIComponent;
const v3 = "/_matrix/client/v3";
const listPath = (roomId: string) => `${v3}/directory/list/room/${enc(roomId)}`;
const ids = (chunk: { room_id: string }[]) => chunk.map((r) => r.room_id);

// Rooms published before the listing tests, with 3, 2, 2 and 1 joined members.
let big: string;
let midA: string;
let midB: string;
let small: string;
let space: string;

beforeAll(async () => {
  server = await roomsTestServer();
  alice = await server.register("alice");
  bob = await server.register("bob");
  carol = await server.register("carol");
  big = await server.createRoom(alice, { visibility: "public", name: "Big hall", topic: "Everyone is here" });
  await server.join(bob, big);
  await server.join(carol, big);
  midA = await server.createRoom(alice, { visibility: "public", name: "Knitting" });
  await server.join(bob, midA);
  midB = await server.createRoom(alice, { visibility: "public", topic: "All about KNITTING patterns" });
  await server.join(carol, midB);
  small = await server.createRoom(alice, { visibility: "public", room_alias_name: "quiet-corner" });
  space = await server.createRoom(alice, { visibility: "public", name: "A space", creation_content: { type: "m.space" } });
  await server.join(bob, space);
  await server.join(carol, space);
  await server.join(await server.register("dave"), space);
});
afterAll(() => server.close());

describe("GET/PUT /directory/list/room/{roomId}", () => {
  test("a moderator publishes and unpublishes; others get 403; unknown rooms 404", async () => {
    const roomId = await server.createRoom(alice, { preset: "public_chat" });
    expect(await server.ok("GET", listPath(roomId))).toEqual({ visibility: "private" });
    await server.join(bob, roomId);
    const refused = await server.call("PUT", listPath(roomId), { token: bob.token, body: { visibility: "public" } });
    expect([refused.status, refused.body.errcode]).toEqual([403, "M_FORBIDDEN"]);
    expect((await server.call("PUT", listPath(roomId), { token: carol.token, body: {} })).status).toBe(403);
    // The body's visibility defaults to public.
    expect(await server.ok("PUT", listPath(roomId), { token: alice.token, body: {} })).toEqual({});
    expect(await server.ok("GET", listPath(roomId))).toEqual({ visibility: "public" });
    await server.ok("PUT", listPath(roomId), { token: alice.token, body: { visibility: "private" } });
    expect(await server.ok("GET", listPath(roomId))).toEqual({ visibility: "private" });
    expect((await server.call("GET", listPath("!unknown:test.local"))).status).toBe(404);
    expect((await server.call("PUT", listPath("!unknown:test.local"), { token: alice.token, body: {} })).body.errcode).toBe("M_NOT_FOUND");
    expect((await server.call("PUT", listPath(roomId), { token: alice.token, body: { visibility: "hidden" } })).body.errcode).toBe("M_BAD_JSON");
  });
});

describe("GET /publicRooms", () => {
  test("lists published rooms by joined members, then room id, without an access token", async () => {
    const res = await server.ok("GET", `${v3}/publicRooms`);
    const [a, b] = [midA, midB].sort() as [string, string];
    expect(ids(res.chunk)).toEqual([space, big, a, b, small]);
    expect(res.total_room_count_estimate).toBe(5);
    expect(res.next_batch).toBeUndefined();
    expect(res.prev_batch).toBeUndefined();
    const bigEntry = res.chunk.find((r: any) => r.room_id === big);
    expect(bigEntry).toEqual({
      room_id: big, name: "Big hall", topic: "Everyone is here", num_joined_members: 3, world_readable: false, guest_can_join: false, join_rule: "public",
    });
    expect(res.chunk[0].room_type).toBe("m.space");
    expect(res.chunk.find((r: any) => r.room_id === small).canonical_alias).toBe("#quiet-corner:test.local");
  });

  test("pages forwards with next_batch and back with prev_batch", async () => {
    const all = ids((await server.ok("GET", `${v3}/publicRooms`)).chunk);
    const first = await server.ok("GET", `${v3}/publicRooms?limit=2`);
    expect(ids(first.chunk)).toEqual(all.slice(0, 2));
    expect(first.prev_batch).toBeUndefined();
    const second = await server.ok("GET", `${v3}/publicRooms?limit=2&since=${enc(first.next_batch)}`);
    expect(ids(second.chunk)).toEqual(all.slice(2, 4));
    const third = await server.ok("GET", `${v3}/publicRooms?limit=2&since=${enc(second.next_batch)}`);
    expect(ids(third.chunk)).toEqual(all.slice(4));
    expect(third.next_batch).toBeUndefined();
    const back = await server.ok("GET", `${v3}/publicRooms?limit=2&since=${enc(third.prev_batch)}`);
    expect(ids(back.chunk)).toEqual(all.slice(2, 4));
    const start = await server.ok("GET", `${v3}/publicRooms?limit=2&since=${enc(back.prev_batch)}`);
    expect(ids(start.chunk)).toEqual(all.slice(0, 2));
    expect(start.prev_batch).toBeUndefined();
    expect(start.next_batch).toBeDefined();
  });

  test("refuses bad tokens, negative limits and other servers", async () => {
    expect((await server.call("GET", `${v3}/publicRooms?since=garbage`)).body.errcode).toBe("M_INVALID_PARAM");
    const outOfRange = `n${Buffer.from(JSON.stringify([2 ** 40, "!x"])).toString("base64url")}`;
    expect((await server.call("GET", `${v3}/publicRooms?since=${outOfRange}`)).body.errcode).toBe("M_INVALID_PARAM");
    expect((await server.call("GET", listPath("!a\u0000b"))).status).toBe(400);
    expect((await server.call("GET", `${v3}/publicRooms?limit=-1`)).status).toBe(400);
    expect((await server.call("GET", `${v3}/publicRooms?limit=many`)).status).toBe(400);
    expect((await server.call("GET", `${v3}/publicRooms?server=bad%20name`)).status).toBe(400);
    // Another server is asked over federation: loopback is refused by ip_range_blacklist, so 502.
    expect((await server.call("GET", `${v3}/publicRooms?server=127.0.0.1:1`)).status).toBe(502);
    expect((await server.ok("GET", `${v3}/publicRooms?server=test.local`)).chunk).toHaveLength(5);
  });

  test("leaves out unpublished rooms, invite-only rooms that are not world_readable, and empty rooms", async () => {
    const hidden = await server.createRoom(bob, { visibility: "public", preset: "private_chat" });
    const readable = await server.createRoom(bob, { visibility: "public", preset: "private_chat" });
    await server.setState(bob, readable, "m.room.history_visibility", "", { history_visibility: "world_readable" });
    const left = await server.createRoom(bob, { visibility: "public" });
    await server.ok("POST", `${v3}/rooms/${enc(left)}/leave`, { token: bob.token, body: {} });
    const listed = ids((await server.ok("GET", `${v3}/publicRooms`)).chunk);
    expect(listed).toContain(readable);
    expect(listed).not.toContain(hidden);
    expect(listed).not.toContain(left);
    await server.ok("PUT", listPath(readable), { token: bob.token, body: { visibility: "private" } });
    expect(ids((await server.ok("GET", `${v3}/publicRooms`)).chunk)).not.toContain(readable);
  });
});

describe("POST /publicRooms", () => {
  test("generic_search_term matches name, topic and alias, case-insensitively", async () => {
    const search = async (term: string) =>
      ids((await server.ok("POST", `${v3}/publicRooms`, { token: carol.token, body: { filter: { generic_search_term: term } } })).chunk).sort();
    expect(await search("knitting")).toEqual([midA, midB].sort());
    expect(await search("QUIET")).toEqual([small]);
    expect(await search("everyone")).toEqual([big]);
    expect(await search("100%")).toEqual([]);
    const counted = await server.ok("POST", `${v3}/publicRooms`, { token: carol.token, body: { filter: { generic_search_term: "knitting" }, limit: 1 } });
    expect(counted.chunk).toHaveLength(1);
    expect(counted.total_room_count_estimate).toBe(2);
    expect(counted.next_batch).toBeDefined();
  });

  test("room_types filters by type, null standing for rooms without one", async () => {
    const post = async (room_types: (string | null)[]) =>
      ids((await server.ok("POST", `${v3}/publicRooms`, { token: carol.token, body: { filter: { room_types } } })).chunk);
    expect(await post(["m.space"])).toEqual([space]);
    expect(await post([null])).not.toContain(space);
    expect(await post([null])).toContain(big);
    expect((await post([null, "m.space"])).length).toBe((await post([])).length);
  });

  test("needs an access token and a well-formed body", async () => {
    expect((await server.call("POST", `${v3}/publicRooms`, { body: {} })).status).toBe(401);
    expect((await server.call("POST", `${v3}/publicRooms`, { token: carol.token, body: { limit: "ten" } })).body.errcode).toBe("M_BAD_JSON");
    expect((await server.call("POST", `${v3}/publicRooms`, { token: carol.token, body: { filter: { room_types: [1] } } })).status).toBe(400);
    const nul = await server.call("POST", `${v3}/publicRooms`, { token: carol.token, body: { filter: { generic_search_term: "a\u0000" } } });
    expect([nul.status, nul.body.errcode]).toEqual([400, "M_BAD_JSON"]);
    expect((await server.call("POST", `${v3}/publicRooms?server=127.0.0.1:1`, { token: carol.token, body: {} })).status).toBe(502);
  });
});

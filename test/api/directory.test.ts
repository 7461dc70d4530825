// Room aliases through the client API: PUT/GET/DELETE /directory/room/{roomAlias},
// GET /rooms/{roomId}/aliases, m.room.canonical_alias checks, createRoom's room_alias_name.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { roomsTestServer, type RoomsTestServer, type Session } from "../helpers/rooms.ts";

let server: RoomsTestServer;
let alice: Session;
let bob: Session;
let carol: Session;
const enc = encodeURIComponent;
const v3 = "/_matrix/client/v3";
const aliasPath = (alias: string) => `${v3}/directory/room/${enc(alias)}`;

beforeAll(async () => {
  server = await roomsTestServer();
  alice = await server.register("alice");
  bob = await server.register("bob");
  carol = await server.register("carol");
});
afterAll(() => server.close());

describe("PUT /directory/room/{roomAlias}", () => {
  test("a member maps an alias; GET resolves it with this server listed; a second PUT is 409 M_ROOM_IN_USE", async () => {
    const roomId = await server.createRoom(alice);
    expect(await server.ok("PUT", aliasPath("#lobby:test.local"), { token: alice.token, body: { room_id: roomId } })).toEqual({});
    const found = await server.call("GET", aliasPath("#lobby:test.local"));
    expect(found).toEqual({ status: 200, body: { room_id: roomId, servers: ["test.local"] } });
    const again = await server.call("PUT", aliasPath("#lobby:test.local"), { token: alice.token, body: { room_id: roomId } });
    expect(again.status).toBe(409);
    expect(again.body.errcode).toBe("M_ROOM_IN_USE");
  });

  test("refuses aliases of other servers, bad grammar, unknown rooms and non-members", async () => {
    const roomId = await server.createRoom(alice);
    const put = (alias: string, body: unknown, token = alice.token) => server.call("PUT", aliasPath(alias), { token, body });
    for (const alias of ["#x:elsewhere.org", "nohash:test.local", "#nocolon", "#:test.local", `#${"a".repeat(260)}:test.local`, "#bad:not a server"]) {
      const res = await put(alias, { room_id: roomId });
      expect([res.status, res.body.errcode, alias]).toEqual([400, "M_INVALID_PARAM", alias]);
    }
    expect((await put("#ghost:test.local", { room_id: "!nope:test.local" })).status).toBe(404);
    expect((await put("#ghost:test.local", { room_id: "nope" })).body.errcode).toBe("M_INVALID_PARAM");
    expect((await put("#ghost:test.local", {})).body.errcode).toBe("M_BAD_JSON");
    expect((await put("#ghost:test.local", { room_id: "!a\u0000b" })).body.errcode).toBe("M_BAD_JSON");
    expect((await put("#gh\u0000ost:test.local", { room_id: roomId })).body.errcode).toBe("M_INVALID_PARAM");
    const outsider = await put("#outsider:test.local", { room_id: roomId }, bob.token);
    expect([outsider.status, outsider.body.errcode]).toEqual([403, "M_FORBIDDEN"]);
    expect((await server.call("PUT", aliasPath("#anon:test.local"), { body: { room_id: roomId } })).status).toBe(401);
  });
});

describe("GET /directory/room/{roomAlias}", () => {
  test("unknown aliases are 404 M_NOT_FOUND; those of a server that cannot be asked 502; a malformed alias is 400", async () => {
    expect((await server.call("GET", aliasPath("#unknown:test.local"))).body.errcode).toBe("M_NOT_FOUND");
    // Remote aliases are asked of their server (test/federation/queries-https.test.ts); loopback is
    // refused by ip_range_blacklist, so the answer is 502 at once.
    const remote = await server.call("GET", aliasPath("#room:127.0.0.1:1"));
    expect([remote.status, remote.body.errcode]).toEqual([502, "M_UNKNOWN"]);
    expect((await server.call("GET", aliasPath("not-an-alias"))).status).toBe(400);
  });
});

describe("DELETE /directory/room/{roomAlias}", () => {
  test("the creator deletes their alias, which leaves the canonical alias event", async () => {
    const roomId = await server.createRoom(alice, { room_alias_name: "gone", preset: "public_chat" });
    await server.join(bob, roomId);
    await server.ok("PUT", aliasPath("#bobs:test.local"), { token: bob.token, body: { room_id: roomId } });
    const canonical = await server.setState(alice, roomId, "m.room.canonical_alias", "", { alias: "#gone:test.local", alt_aliases: ["#bobs:test.local"] });
    expect(canonical.status).toBe(200);
    // Bob created #bobs and may delete it, though he may not edit the canonical alias event.
    expect(await server.ok("DELETE", aliasPath("#bobs:test.local"), { token: bob.token })).toEqual({});
    expect((await server.call("GET", aliasPath("#bobs:test.local"))).status).toBe(404);
    expect((await server.getState(alice, roomId, "m.room.canonical_alias")).body.alt_aliases).toEqual(["#bobs:test.local"]);
    // Alice (a moderator) deletes #gone: it leaves the canonical alias event too.
    await server.ok("DELETE", aliasPath("#gone:test.local"), { token: alice.token });
    expect((await server.getState(alice, roomId, "m.room.canonical_alias")).body).toEqual({ alt_aliases: ["#bobs:test.local"] });
    expect((await server.call("DELETE", aliasPath("#gone:test.local"), { token: alice.token })).status).toBe(404);
  });

  test("another member without moderator power may not delete someone's alias; a moderator may", async () => {
    const roomId = await server.createRoom(alice, { preset: "public_chat" });
    await server.join(bob, roomId);
    await server.ok("PUT", aliasPath("#alices:test.local"), { token: alice.token, body: { room_id: roomId } });
    const refused = await server.call("DELETE", aliasPath("#alices:test.local"), { token: bob.token });
    expect([refused.status, refused.body.errcode]).toEqual([403, "M_FORBIDDEN"]);
    await server.ok("PUT", aliasPath("#bob2:test.local"), { token: bob.token, body: { room_id: roomId } });
    await server.ok("DELETE", aliasPath("#bob2:test.local"), { token: alice.token });
    expect((await server.call("DELETE", aliasPath("#x:elsewhere.org"), { token: alice.token })).status).toBe(404);
    expect((await server.call("DELETE", aliasPath("bad"), { token: alice.token })).status).toBe(400);
  });
});

describe("GET /rooms/{roomId}/aliases", () => {
  test("members see the local aliases; others get 403 unless the room is world_readable", async () => {
    const roomId = await server.createRoom(alice, { room_alias_name: "listed" });
    await server.ok("PUT", aliasPath("#listed2:test.local"), { token: alice.token, body: { room_id: roomId } });
    const path = `${v3}/rooms/${enc(roomId)}/aliases`;
    expect(await server.ok("GET", path, { token: alice.token })).toEqual({ aliases: ["#listed:test.local", "#listed2:test.local"] });
    const refused = await server.call("GET", path, { token: carol.token });
    expect([refused.status, refused.body.errcode]).toEqual([403, "M_FORBIDDEN"]);
    expect((await server.call("GET", `${v3}/rooms/${enc("!unknown:test.local")}/aliases`, { token: carol.token })).status).toBe(403);
    expect((await server.call("GET", `${v3}/rooms/${enc("!a\u0000b")}/aliases`, { token: carol.token })).status).toBe(400);
    await server.setState(alice, roomId, "m.room.history_visibility", "", { history_visibility: "world_readable" });
    expect((await server.ok("GET", path, { token: carol.token })).aliases).toHaveLength(2);
  });
});

describe("m.room.canonical_alias checks", () => {
  test("an alias of another room is 400 M_BAD_ALIAS; bad grammar is 400 M_INVALID_PARAM", async () => {
    const mine = await server.createRoom(alice, { room_alias_name: "mine" });
    const other = await server.createRoom(alice, { room_alias_name: "other" });
    const bad = await server.setState(alice, mine, "m.room.canonical_alias", "", { alias: "#other:test.local" });
    expect([bad.status, bad.body.errcode]).toEqual([400, "M_BAD_ALIAS"]);
    const badAlt = await server.setState(alice, mine, "m.room.canonical_alias", "", { alias: "#mine:test.local", alt_aliases: ["#missing:test.local"] });
    expect(badAlt.body.errcode).toBe("M_BAD_ALIAS");
    const grammar = await server.setState(alice, mine, "m.room.canonical_alias", "", { alias: "not an alias" });
    expect([grammar.status, grammar.body.errcode]).toEqual([400, "M_INVALID_PARAM"]);
    expect((await server.setState(alice, mine, "m.room.canonical_alias", "", { alias: "#mine:test.local" })).status).toBe(200);
    expect(other).not.toBe(mine);
  });
});

describe("createRoom with room_alias_name and visibility public", () => {
  test("the alias resolves, /join/#alias joins, the room is listed, and a taken alias is 400 M_ROOM_IN_USE", async () => {
    const created = await server.ok("POST", `${v3}/createRoom`, {
      token: alice.token, body: { room_alias_name: "town-square", visibility: "public", name: "Town square" },
    });
    expect(created.room_alias).toBe("#town-square:test.local");
    expect((await server.ok("GET", aliasPath("#town-square:test.local"))).room_id).toBe(created.room_id);
    expect((await server.getState(alice, created.room_id, "m.room.canonical_alias")).body).toEqual({ alias: "#town-square:test.local" });
    const joined = await server.join(bob, "#town-square:test.local");
    expect(joined).toEqual({ status: 200, body: { room_id: created.room_id } });
    expect((await server.ok("GET", `${v3}/directory/list/room/${enc(created.room_id)}`)).visibility).toBe("public");
    const listed = await server.ok("POST", `${v3}/publicRooms`, { token: carol.token, body: { filter: { generic_search_term: "town" } } });
    expect(listed.chunk).toEqual([
      {
        room_id: created.room_id, name: "Town square", canonical_alias: "#town-square:test.local", num_joined_members: 2,
        world_readable: false, guest_can_join: false, join_rule: "public",
      },
    ]);
    const taken = await server.call("POST", `${v3}/createRoom`, { token: bob.token, body: { room_alias_name: "town-square" } });
    expect([taken.status, taken.body.errcode]).toEqual([400, "M_ROOM_IN_USE"]);
    expect((await server.join(carol, "#nowhere:test.local")).status).toBe(404);
  });
});

// GET /v1/rooms/{roomId}/hierarchy over local spaces.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { roomsTestServer, type RoomsTestServer, type Session } from "../helpers/rooms.ts";

let server: RoomsTestServer;
let alice: Session;
let bob: Session;
let carol: Session;
const enc = encodeURIComponent;
const hierarchy = (user: Session, roomId: string, query = "") => server.call("GET", `/_matrix/client/v1/rooms/${enc(roomId)}/hierarchy${query}`, { token: user.token });
const ids = (rooms: { room_id: string }[]) => rooms.map((r) => r.room_id);

// space: subspace (order "a"), publicRoom (order "b", suggested), inviteOnly (order "c"), readable (no order), an entry without via.
// subspace: restricted (order "1", allowed via space), nested (order "2"), space again (a loop).
let space: string;
let subspace: string;
let publicRoom: string;
let inviteOnly: string;
let readable: string;
let restricted: string;
let nested: string;

beforeAll(async () => {
  server = await roomsTestServer();
  alice = await server.register("alice");
  bob = await server.register("bob");
  carol = await server.register("carol");
  const spaceOf = (name: string) => server.createRoom(alice, { preset: "public_chat", name, creation_content: { type: "m.space" } });
  space = await spaceOf("Space");
  subspace = await spaceOf("Subspace");
  publicRoom = await server.createRoom(alice, { preset: "public_chat", name: "Public" });
  inviteOnly = await server.createRoom(alice, { preset: "private_chat", name: "Secret" });
  readable = await server.createRoom(alice, { preset: "private_chat", name: "Readable" });
  await server.setState(alice, readable, "m.room.history_visibility", "", { history_visibility: "world_readable" });
  restricted = await server.createRoom(alice, { name: "Members of the space" });
  await server.setState(alice, restricted, "m.room.join_rules", "", { join_rule: "restricted", allow: [{ type: "m.room_membership", room_id: space }] });
  nested = await server.createRoom(alice, { preset: "public_chat", name: "Nested" });
  const child = (parent: string, roomId: string, content: Record<string, unknown>) => server.setState(alice, parent, "m.space.child", roomId, { via: ["test.local"], ...content });
  await child(space, readable, {});
  await child(space, inviteOnly, { order: "c" });
  await child(space, publicRoom, { order: "b", suggested: true });
  await child(space, subspace, { order: "a", suggested: true });
  await server.setState(alice, space, "m.space.child", "!removed:test.local", { via: [] });
  await child(subspace, nested, { order: "2" });
  await child(subspace, restricted, { order: "1" });
  await child(subspace, space, { order: "3" });
  await server.join(bob, space);
});
afterAll(() => server.close());

describe("GET /rooms/{roomId}/hierarchy", () => {
  test("walks depth first in the spec's child order, showing each user the rooms they may see or join", async () => {
    const forBob = await hierarchy(bob, space);
    expect(forBob.status).toBe(200);
    expect(ids(forBob.body.rooms)).toEqual([space, subspace, restricted, nested, publicRoom, readable]);
    expect(forBob.body.next_batch).toBeUndefined();
    const forAlice = await hierarchy(alice, space);
    expect(ids(forAlice.body.rooms)).toEqual([space, subspace, restricted, nested, publicRoom, inviteOnly, readable]);
    // Carol is in no room: the restricted room needs membership of the space.
    expect(ids((await hierarchy(carol, space)).body.rooms)).toEqual([space, subspace, nested, publicRoom, readable]);
  });

  test("describes each room and lists a space's children as stripped events", async () => {
    const rooms = (await hierarchy(bob, space)).body.rooms;
    const root = rooms[0];
    expect(root).toMatchObject({ room_id: space, name: "Space", room_type: "m.space", num_joined_members: 2, join_rule: "public", world_readable: false, guest_can_join: false, room_version: "11" });
    expect(root.children_state.map((e: any) => e.state_key).sort()).toEqual([inviteOnly, publicRoom, readable, subspace].sort());
    const entry = root.children_state.find((e: any) => e.state_key === publicRoom);
    expect(Object.keys(entry).sort()).toEqual(["content", "origin_server_ts", "sender", "state_key", "type"]);
    expect(entry).toMatchObject({ type: "m.space.child", sender: alice.userId, content: { via: ["test.local"], order: "b", suggested: true } });
    expect(rooms.find((r: any) => r.room_id === restricted)).toMatchObject({ join_rule: "restricted", allowed_room_ids: [space], children_state: [] });
    expect(rooms.find((r: any) => r.room_id === readable)).toMatchObject({ world_readable: true, join_rule: "invite", children_state: [] });
  });

  test("max_depth and suggested_only", async () => {
    const shallow = (await hierarchy(bob, space, "?max_depth=1")).body.rooms;
    expect(ids(shallow)).toEqual([space, subspace, publicRoom, readable]);
    expect(shallow[1].children_state).toEqual([]);
    expect(ids((await hierarchy(bob, space, "?max_depth=0")).body.rooms)).toEqual([space]);
    expect(ids((await hierarchy(bob, space, "?suggested_only=true")).body.rooms)).toEqual([space, subspace, publicRoom]);
  });

  test("pages with next_batch; the parameters may not change between pages", async () => {
    const first = await hierarchy(bob, space, "?limit=2");
    expect(ids(first.body.rooms)).toEqual([space, subspace]);
    const second = await hierarchy(bob, space, `?limit=2&from=${enc(first.body.next_batch)}`);
    expect(ids(second.body.rooms)).toEqual([restricted, nested]);
    const third = await hierarchy(bob, space, `?limit=2&from=${enc(second.body.next_batch)}`);
    expect(ids(third.body.rooms)).toEqual([publicRoom, readable]);
    expect(third.body.next_batch).toBeUndefined();
    const changed = await hierarchy(bob, space, `?limit=2&max_depth=1&from=${enc(first.body.next_batch)}`);
    expect([changed.status, changed.body.errcode]).toEqual([400, "M_INVALID_PARAM"]);
    expect((await hierarchy(bob, space, "?from=nonsense")).body.errcode).toBe("M_INVALID_PARAM");
    expect((await hierarchy(bob, subspace, `?from=${enc(first.body.next_batch)}`)).status).toBe(400);
  });

  test("refuses rooms the user may not see, unknown rooms and bad parameters", async () => {
    const hidden = await hierarchy(carol, inviteOnly);
    expect([hidden.status, hidden.body.errcode]).toEqual([403, "M_FORBIDDEN"]);
    expect((await hierarchy(carol, "!unknown:test.local")).status).toBe(403);
    expect((await hierarchy(carol, "!a\u0000b")).status).toBe(400);
    expect((await hierarchy(bob, space, "?limit=0")).status).toBe(400);
    expect((await hierarchy(bob, space, "?max_depth=-1")).status).toBe(400);
    expect((await hierarchy(bob, space, "?limit=two")).status).toBe(400);
    // A non-space room is its own hierarchy, without children.
    expect((await hierarchy(bob, publicRoom)).body.rooms).toMatchObject([{ room_id: publicRoom, children_state: [] }]);
  });
});

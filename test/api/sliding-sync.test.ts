// POST /v4/sync (simplified sliding sync, MSC4186) through HTTP: lists, room fields, required
// state, connections and deltas, refusals.
import { afterAll, beforeAll, expect, test } from "bun:test";
import { CONNECTION_TTL_MS } from "../../src/sync/sliding/connections.ts";
import { roomsTestServer, type RoomsTestServer, type Session } from "../helpers/rooms.ts";

let s: RoomsTestServer;
let n = 0;
const PATH = "/_matrix/client/v4/sync";
const UNSTABLE = "/_matrix/client/unstable/org.matrix.simplified_msc3575/sync";
const enc = encodeURIComponent;
const user = () => s.register(`ss${++n}`);
const post = (u: Session, body: unknown, path = PATH) => s.call("POST", path, { token: u.token, body });
const ss = async (u: Session, body: Record<string, unknown>) => {
  const res = await post(u, body);
  if (res.status !== 200) throw new Error(`sliding sync: ${res.status} ${JSON.stringify(res.body)}`);
  return res.body;
};
const all = { include: [{}] };
const list = (range: [number, number], extra: Record<string, unknown> = {}) => ({ range, timeline_limit: 1, required_state: { include: [] }, ...extra });
const bodies = (room: any) => room.timeline.map((e: any) => e.content.body);
const expectError = (res: { status: number; body: any }, status: number, errcode: string) => expect([res.status, res.body?.errcode]).toEqual([status, errcode]);

beforeAll(async () => {
  s = await roomsTestServer();
});
afterAll(() => s.close());

test("lists: newest activity first, range, count, room fields, timeline", async () => {
  const alice = await user();
  const rooms: string[] = [];
  for (let i = 0; i < 4; i++) rooms.push(await s.createRoom(alice, { name: `R${i}` }));
  await s.sendText(alice, rooms[1]!, "hello");
  await s.sendText(alice, rooms[1]!, "latest");
  const body = await ss(alice, { lists: { all: list([0, 1], { timeline_limit: 2 }) } });
  expect(body.pos).toMatch(/^s\d+_\d+$/);
  expect(body.lists).toEqual({ all: { count: 4 } });
  // rooms[1] had the newest event, then rooms[3] (created last).
  expect(Object.keys(body.rooms).sort()).toEqual([rooms[1]!, rooms[3]!].sort());
  const room = body.rooms[rooms[1]!];
  expect(room).toMatchObject({ initial: true, name: "R1", joined_count: 1, invited_count: 0, membership: "join", lists: ["all"], limited: true, num_live: 0 });
  expect(bodies(room)).toEqual(["hello", "latest"]);
  expect(room.prev_batch).toMatch(/^s\d+$/);
  expect(room.bump_stamp).toBeGreaterThan(body.rooms[rooms[3]!].bump_stamp);
  expect(room.heroes).toBeUndefined();
  expect(room.notification_count).toBe(0);
  // The prev_batch pages back from the first timeline event.
  const older = await s.ok("GET", `/_matrix/client/v3/rooms/${enc(rooms[1]!)}/messages?dir=b&limit=1&from=${room.prev_batch}`, { token: alice.token });
  expect(older.chunk[0].type).not.toBe("m.room.message");
  // No range: the whole list.
  const whole = await ss(alice, { lists: { all: { timeline_limit: 0, required_state: {} } } });
  expect(Object.keys(whole.rooms)).toHaveLength(4);
  expect(whole.rooms[rooms[0]!].timeline).toEqual([]);
});

test("required_state: include, exclude, lazy members, Synapse's list form with $ME and $LAZY", async () => {
  const alice = await user();
  const bob = await user();
  const carol = await user();
  const roomId = await s.createRoom(alice, { name: "State", preset: "public_chat" });
  await s.join(bob, roomId);
  await s.join(carol, roomId);
  await s.sendText(bob, roomId, "from bob");
  const types = (room: any) => room.required_state.map((e: any) => `${e.type}|${e.state_key}`).sort();
  const excluded = await ss(alice, { lists: { l: list([0, 0], { required_state: { include: [{}], exclude: [{ type: "m.room.member" }, { type: "m.room.create" }] } }) } });
  expect(types(excluded.rooms[roomId])).not.toContain("m.room.create|");
  expect(types(excluded.rooms[roomId]).some((t: string) => t.startsWith("m.room.member"))).toBe(false);
  expect(types(excluded.rooms[roomId])).toContain("m.room.name|");
  // Lazy: only the timeline sender's member event (bob), plus what is asked by name.
  const lazy = await ss(alice, { lists: { l: list([0, 0], { required_state: { include: [{}, { type: "m.room.member", state_key: "$ME" }], lazy_members: true } }) } });
  const members = types(lazy.rooms[roomId]).filter((t: string) => t.startsWith("m.room.member"));
  expect(members).toEqual([`m.room.member|${alice.userId}`, `m.room.member|${bob.userId}`].sort());
  const legacy = await ss(alice, { lists: { l: { ranges: [[0, 0]], timeline_limit: 1, required_state: [["m.room.create", ""], ["m.room.member", "$LAZY"], ["m.room.member", "$ME"]] } } });
  expect(types(legacy.rooms[roomId])).toEqual(["m.room.create|", `m.room.member|${alice.userId}`, `m.room.member|${bob.userId}`].sort());
  const everything = await ss(alice, { lists: { l: { ranges: [[0, 0]], timeline_limit: 0, required_state: [["*", "*"]] } } });
  expect(types(everything.rooms[roomId]).filter((t: string) => t.startsWith("m.room.member"))).toHaveLength(3);
});

test("heroes, is_dm, invites with stripped state", async () => {
  const alice = await user();
  const bob = await user();
  await s.ok("PUT", `/_matrix/client/v3/profile/${enc(bob.userId)}/displayname`, { token: bob.token, body: { displayname: "Bobby" } });
  const dm = await s.createRoom(alice, { is_direct: true, invite: [bob.userId] });
  await s.join(bob, dm);
  await s.ok("PUT", `/_matrix/client/v3/user/${enc(alice.userId)}/account_data/m.direct`, { token: alice.token, body: { [bob.userId]: [dm] } });
  const named = await s.createRoom(alice, { name: "Named" });
  const invite = await s.createRoom(bob, { name: "Come in" });
  await s.invite(bob, invite, alice.userId);
  const body = await ss(alice, { lists: { all: list([0, 9]) } });
  expect(body.rooms[dm]).toMatchObject({ is_dm: true, heroes: [{ user_id: bob.userId, displayname: "Bobby" }] });
  expect(body.rooms[named].is_dm).toBeUndefined();
  const inv = body.rooms[invite];
  expect(inv).toMatchObject({ initial: true, membership: "invite" });
  expect(inv.timeline).toBeUndefined();
  expect(inv.stripped_state.map((e: any) => e.type)).toContain("m.room.name");
  expect(inv.stripped_state.at(-1)).toMatchObject({ type: "m.room.member", state_key: alice.userId, content: { membership: "invite" } });
});

test("connection: deltas after pos, retry of the same pos, unknown and foreign pos", async () => {
  const alice = await user();
  const mallory = await user();
  const a = await s.createRoom(alice, { name: "A" });
  const b = await s.createRoom(alice, { name: "B" });
  const req = { conn_id: "main", lists: { all: list([0, 9]) } };
  const first = await ss(alice, req);
  expect(Object.keys(first.rooms)).toHaveLength(2);
  // Nothing new: no rooms, no wait without timeout.
  const second = await ss(alice, { ...req, pos: first.pos });
  expect(second.rooms).toEqual({});
  await s.sendText(alice, a, "news");
  const third = await ss(alice, { ...req, pos: second.pos });
  expect(Object.keys(third.rooms)).toEqual([a]);
  const delta = third.rooms[a];
  expect(delta.initial).toBeUndefined();
  expect(delta.name).toBeUndefined();
  expect(bodies(delta)).toEqual(["news"]);
  expect(delta.num_live).toBe(1);
  expect(delta.bump_stamp).toBeGreaterThan(first.rooms[a].bump_stamp);
  // A retry with the previous pos (response lost) gets the same news again.
  const retry = await ss(alice, { ...req, pos: second.pos });
  expect(Object.keys(retry.rooms)).toEqual([a]);
  // Once the retry's pos is used, the older ones are gone.
  const after = await ss(alice, { ...req, pos: retry.pos });
  expect(after.rooms).toEqual({});
  expectError(await post(alice, { ...req, pos: second.pos }), 400, "M_UNKNOWN_POS");
  expectError(await post(alice, { ...req, pos: "s1_999" }), 400, "M_UNKNOWN_POS");
  expectError(await post(mallory, { ...req, pos: after.pos }), 400, "M_UNKNOWN_POS");
  // Another conn_id is another connection: its first response is whole.
  const other = await ss(alice, { conn_id: "other", lists: req.lists });
  expect(Object.keys(other.rooms).sort()).toEqual([a, b].sort());
  // The name change goes down as a field delta with the state event.
  await s.setState(alice, b, "m.room.name", "", { name: "B2" });
  const renamed = await ss(alice, { ...req, pos: after.pos, lists: { all: list([0, 9], { required_state: { include: [{ type: "m.room.name" }] } }) } });
  expect(renamed.rooms[b]).toMatchObject({ name: "B2" });
  expect(renamed.rooms[b].required_state.map((e: any) => e.content.name)).toEqual(["B2"]);
});

test("rooms leaving the window are not re-sent; coming back they get only what changed", async () => {
  const alice = await user();
  const a = await s.createRoom(alice, { name: "A" });
  const b = await s.createRoom(alice, { name: "B" });
  const first = await ss(alice, { lists: { top: list([0, 0]) } });
  expect(Object.keys(first.rooms)).toEqual([b]);
  await s.sendText(alice, a, "a1");
  const second = await ss(alice, { pos: first.pos, lists: { top: list([0, 0]) } });
  expect(Object.keys(second.rooms)).toEqual([a]);
  expect(second.rooms[a].initial).toBe(true);
  // b comes back to the top with one new event: just that.
  await s.sendText(alice, b, "b1");
  const third = await ss(alice, { pos: second.pos, lists: { top: list([0, 0]) } });
  expect(Object.keys(third.rooms)).toEqual([b]);
  expect(third.rooms[b].initial).toBeUndefined();
  expect(bodies(third.rooms[b])).toEqual(["b1"]);
  // Widening the range: a was sent and has not changed since.
  const wide = await ss(alice, { pos: third.pos, lists: { top: list([0, 1]) } });
  expect(wide.rooms).toEqual({});
});

test("room subscriptions: outside the lists, only rooms the user may see; timeline expansion", async () => {
  const alice = await user();
  const bob = await user();
  const mine = await s.createRoom(alice, { name: "Mine" });
  for (let i = 0; i < 3; i++) await s.sendText(alice, mine, `m${i}`);
  const foreign = await s.createRoom(bob, { name: "Bob's" });
  const body = await ss(alice, { room_subscriptions: { [mine]: { timeline_limit: 1, required_state: all }, [foreign]: { timeline_limit: 1, required_state: all }, "!nowhere:test": { timeline_limit: 1 } } });
  expect(Object.keys(body.rooms)).toEqual([mine]);
  expect(body.rooms[mine].lists).toEqual([]);
  expect(bodies(body.rooms[mine])).toEqual(["m2"]);
  const expanded = await ss(alice, { pos: body.pos, room_subscriptions: { [mine]: { timeline_limit: 3, required_state: all } } });
  expect(expanded.rooms[mine].expanded_timeline).toBe(true);
  expect(bodies(expanded.rooms[mine])).toEqual(["m0", "m1", "m2"]);
  expectError(await post(alice, { room_subscriptions: Object.fromEntries(Array.from({ length: 101 }, (_, i) => [`!r${i}:test`, { timeline_limit: 1 }])) }), 400, "M_INVALID_PARAM");
});

test("long-poll: waits with a pos and wakes on a new event; unstable path with query parameters", async () => {
  const alice = await user();
  const roomId = await s.createRoom(alice, { name: "Poll" });
  const req = { lists: { all: list([0, 9]) } };
  const first = await ss(alice, req);
  const started = Date.now();
  const waiting = s.call("POST", `${UNSTABLE}?pos=${first.pos}&timeout=10000`, { token: alice.token, body: req });
  await Bun.sleep(100);
  await s.sendText(alice, roomId, "wake");
  const res = await waiting;
  expect(res.status).toBe(200);
  expect(Date.now() - started).toBeLessThan(5000);
  expect(bodies(res.body.rooms[roomId])).toEqual(["wake"]);
  // Nothing happens: answered at the timeout, empty.
  const quiet = Date.now();
  const empty = await ss(alice, { ...req, pos: res.body.pos, timeout: 300 });
  expect(Date.now() - quiet).toBeGreaterThanOrEqual(250);
  expect(empty.rooms).toEqual({});
});

test("filters: is_dm, is_encrypted, is_invited, room types, spaces, tags", async () => {
  const alice = await user();
  const bob = await user();
  const plain = await s.createRoom(alice, { name: "plain" });
  const encrypted = await s.createRoom(alice, { name: "enc", initial_state: [{ type: "m.room.encryption", state_key: "", content: { algorithm: "m.megolm.v1.aes-sha2" } }] });
  const space = await s.createRoom(alice, { name: "space", creation_content: { type: "m.space" } });
  await s.setState(alice, space, "m.space.child", plain, { via: ["test"] });
  const dm = await s.createRoom(alice, { name: "dm" });
  await s.ok("PUT", `/_matrix/client/v3/user/${enc(alice.userId)}/account_data/m.direct`, { token: alice.token, body: { [bob.userId]: [dm] } });
  await s.ok("PUT", `/_matrix/client/v3/user/${enc(alice.userId)}/rooms/${enc(encrypted)}/tags/m.favourite`, { token: alice.token, body: {} });
  const invited = await s.createRoom(bob, { name: "inv" });
  await s.invite(bob, invited, alice.userId);
  const f = (filters: Record<string, unknown>) => ({ range: [0, 20], timeline_limit: 0, required_state: {}, filters });
  const body = await ss(alice, {
    lists: {
      dms: f({ is_dm: true }), notDms: f({ is_dm: false }), enc: f({ is_encrypted: true }), inv: f({ is_invited: true }), legacyInv: f({ is_invite: true }),
      spaces: f({ room_types: ["m.space"] }), noSpaces: f({ not_room_types: ["m.space"] }), untyped: f({ room_types: [null] }),
      inSpace: f({ spaces: [space] }), fav: f({ tags: ["m.favourite"] }), notFav: f({ not_tags: ["m.favourite"] }),
    },
  });
  const roomsOf = (key: string) => Object.entries(body.rooms).filter(([, r]: any) => r.lists.includes(key)).map(([id]) => id).sort();
  expect(roomsOf("dms")).toEqual([dm]);
  expect(body.lists.notDms.count).toBe(4);
  expect(roomsOf("enc")).toEqual([encrypted]);
  expect(roomsOf("inv")).toEqual([invited]);
  expect(roomsOf("legacyInv")).toEqual([invited]);
  expect(roomsOf("spaces")).toEqual([space]);
  expect(roomsOf("noSpaces")).toEqual([plain, encrypted, dm, invited].sort());
  expect(roomsOf("untyped")).toEqual([plain, encrypted, dm, invited].sort());
  expect(roomsOf("inSpace")).toEqual([plain]);
  expect(roomsOf("fav")).toEqual([encrypted]);
  expect(body.lists.notFav.count).toBe(4);
});

test("refusals: bad lists, ranges, limits, presence, body", async () => {
  const alice = await user();
  const bad = [
    { lists: { l: { range: [3, 1], timeline_limit: 1 } } },
    { lists: { l: { range: [0], timeline_limit: 1 } } },
    { lists: { l: { timeline_limit: -1 } } },
    { lists: { l: { timeline_limit: 1, required_state: { include: "all" } } } },
    { lists: { l: { timeline_limit: 1, required_state: [["only-one"]] } } },
    { lists: { l: { timeline_limit: 1, filters: { is_dm: "yes" } } } },
    { lists: Object.fromEntries(Array.from({ length: 101 }, (_, i) => [`l${i}`, { timeline_limit: 1 }])) },
    { set_presence: "asleep" },
    { timeout: -5 },
    { pos: 5 },
    { extensions: { typing: true } },
  ];
  for (const body of bad) expectError(await post(alice, body), 400, "M_INVALID_PARAM");
  expect((await post(alice, [1, 2])).status).toBe(400);
  expect((await s.call("POST", PATH, { body: {} })).status).toBe(401);
});

test("connections expire after CONNECTION_TTL_MS unused: M_UNKNOWN_POS, and a new connection works", async () => {
  const alice = await user();
  await s.createRoom(alice, { name: "Expiring" });
  const first = await ss(alice, { lists: { all: list([0, 0]) } });
  s.clock.offset += CONNECTION_TTL_MS + 1000;
  try {
    expectError(await post(alice, { pos: first.pos, lists: { all: list([0, 0]) } }), 400, "M_UNKNOWN_POS");
    expect(Object.keys((await ss(alice, { lists: { all: list([0, 0]) } })).rooms)).toHaveLength(1);
  } finally {
    s.clock.offset -= CONNECTION_TTL_MS + 1000;
  }
});

test("invite then join: the room is sent whole; a rejected invite shows only stripped state", async () => {
  const alice = await user();
  const bob = await user();
  const joined = await s.createRoom(bob, { name: "Join me" });
  const rejected = await s.createRoom(bob, { name: "Reject me" });
  await s.sendText(bob, rejected, "secret");
  for (const roomId of [joined, rejected]) await s.invite(bob, roomId, alice.userId);
  const req = { lists: { all: list([0, 9], { required_state: all }) } };
  const first = await ss(alice, req);
  expect(first.rooms[joined].membership).toBe("invite");
  await s.join(alice, joined);
  await s.ok("POST", `/_matrix/client/v3/rooms/${enc(rejected)}/leave`, { token: alice.token, body: {} });
  const second = await ss(alice, { ...req, pos: first.pos });
  expect(second.rooms[joined]).toMatchObject({ initial: true, membership: "join", name: "Join me" });
  expect(second.rooms[joined].timeline.at(-1)).toMatchObject({ type: "m.room.member", state_key: alice.userId });
  const gone = second.rooms[rejected];
  expect(gone.membership).toBe("leave");
  expect(gone.timeline).toBeUndefined();
  expect(gone.required_state).toBeUndefined();
  expect(gone.stripped_state.at(-1)).toMatchObject({ type: "m.room.member", content: { membership: "leave" } });
});

test("/versions advertises simplified sliding sync; logging out drops the device's connections", async () => {
  const versions = await s.call("GET", "/_matrix/client/versions");
  expect(versions.body.unstable_features["org.matrix.simplified_msc3575"]).toBe(true);
  const alice = await user();
  await ss(alice, { conn_id: "a", lists: { all: list([0, 9]) } });
  await ss(alice, { conn_id: "b", lists: { all: list([0, 9]) } });
  const before = s.syncServices.slidingSync.connectionCount();
  expect((await s.call("POST", "/_matrix/client/v3/logout", { token: alice.token, body: {} })).status).toBe(200);
  expect(s.syncServices.slidingSync.connectionCount()).toBe(before - 2);
});

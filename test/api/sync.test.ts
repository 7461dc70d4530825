// GET /sync through HTTP: initial and incremental syncs, room sections, filters, refusals.
// https://spec.matrix.org/v1.19/client-server-api/#get_matrixclientv3sync
import { afterAll, beforeAll, expect, test } from "bun:test";
import { roomsTestServer, type RoomsTestServer, type Session } from "../helpers/rooms.ts";

let s: RoomsTestServer;
let alice: Session;
let bob: Session;
const expectError = (res: { status: number; body: any }, status: number, errcode: string) => expect([res.status, res.body?.errcode]).toEqual([status, errcode]);
const sync = async (user: Session, params: Record<string, unknown> = {}) => {
  const res = await s.sync(user, params);
  if (res.status !== 200) throw new Error(`sync: ${res.status} ${JSON.stringify(res.body)}`);
  return res.body;
};
const bodies = (room: any) => room.timeline.events.filter((e: any) => e.type === "m.room.message").map((e: any) => e.content.body);

beforeAll(async () => {
  s = await roomsTestServer();
  alice = await s.register("alice");
  bob = await s.register("bob");
});
afterAll(() => s.close());

test("initial sync: joined room with timeline, state at its start, summary, counts and placeholders", async () => {
  const roomId = await s.createRoom(alice, { name: "Initial" });
  for (let i = 0; i < 12; i++) await s.sendText(alice, roomId, `m${i}`);
  const body = await sync(alice);
  expect(body.next_batch).toMatch(/^s\d+(_\d+){7}$/);
  const room = body.rooms.join[roomId];
  expect(room.timeline.limited).toBe(true);
  expect(room.timeline.events).toHaveLength(10);
  expect(bodies(room)).toEqual(["m2", "m3", "m4", "m5", "m6", "m7", "m8", "m9", "m10", "m11"]);
  expect(room.timeline.events[0].room_id).toBeUndefined();
  // The state before the timeline: everything from room creation.
  const types = room.state.events.map((e: any) => e.type).sort();
  expect(types).toEqual(["m.room.create", "m.room.guest_access", "m.room.history_visibility", "m.room.join_rules", "m.room.member", "m.room.name", "m.room.power_levels"]);
  expect(room.summary).toEqual({ "m.joined_member_count": 1, "m.invited_member_count": 0 });
  expect(room.unread_notifications).toEqual({ notification_count: expect.any(Number), highlight_count: expect.any(Number) });
  expect(body.to_device).toEqual({ events: [] });
  expect(body.device_lists).toEqual({ changed: [], left: [] });
  expect(body.device_one_time_keys_count).toEqual({});
  // prev_batch pages back through /messages to the events before the timeline.
  const page = await s.ok("GET", `/_matrix/client/v3/rooms/${encodeURIComponent(roomId)}/messages?dir=b&limit=2&from=${room.timeline.prev_batch}`, { token: alice.token });
  expect(page.chunk.map((e: any) => e.content.body)).toEqual(["m1", "m0"]);
});

test("incremental sync: only new events, not limited, empty state; nothing new returns at once with timeout 0", async () => {
  const roomId = await s.createRoom(alice);
  const first = await sync(alice);
  await s.sendText(alice, roomId, "hello");
  const second = await sync(alice, { since: first.next_batch });
  expect(Object.keys(second.rooms.join)).toEqual([roomId]);
  const room = second.rooms.join[roomId];
  expect(bodies(room)).toEqual(["hello"]);
  expect(room.timeline.limited).toBe(false);
  expect(room.state.events).toEqual([]);
  const third = await sync(alice, { since: second.next_batch });
  expect(third.rooms.join).toEqual({});
  expect(third.next_batch).toBe(second.next_batch);
  // The next_batch also works as a /messages from token.
  const page = await s.ok("GET", `/_matrix/client/v3/rooms/${encodeURIComponent(roomId)}/messages?dir=b&limit=1&from=${second.next_batch}`, { token: alice.token });
  expect(page.chunk[0].content.body).toBe("hello");
});

test("state is the state at the timeline's start: a rename inside the timeline leaves the old name in state", async () => {
  const roomId = await s.createRoom(alice, { name: "Old" });
  await s.setState(alice, roomId, "m.room.name", "", { name: "New" });
  await s.sendText(alice, roomId, "after rename");
  const room = (await sync(alice, { filter: { room: { timeline: { limit: 2 } } } })).rooms.join[roomId];
  expect(room.timeline.events.map((e: any) => e.type)).toEqual(["m.room.name", "m.room.message"]);
  expect(room.state.events.find((e: any) => e.type === "m.room.name").content.name).toBe("Old");
  expect(room.timeline.events[0].unsigned.prev_content).toEqual({ name: "Old" });
});

test("use_state_after: state_after holds the state up to the timeline's end, and state is left out", async () => {
  const roomId = await s.createRoom(alice, { name: "Before" });
  const first = await sync(alice, { use_state_after: "true" });
  const initial = first.rooms.join[roomId];
  expect(initial.state).toBeUndefined();
  const nameOf = (room: any) => room.state_after.events.filter((e: any) => e.type === "m.room.name").map((e: any) => e.content.name);
  expect(nameOf(initial)).toEqual(["Before"]);
  await s.sendText(alice, roomId, "one");
  expect((await s.setState(alice, roomId, "m.room.name", "", { name: "After" })).status).toBe(200);
  await s.sendText(alice, roomId, "two");
  const next = (await sync(alice, { since: first.next_batch, use_state_after: "true" })).rooms.join[roomId];
  expect(nameOf(next)).toEqual(["After"]);
  expect(next.state).toBeUndefined();
  // Without the parameter: state at the timeline's start, no state_after.
  const plain = (await sync(alice, { since: first.next_batch })).rooms.join[roomId];
  expect(plain.state_after).toBeUndefined();
  expect(plain.state.events).toEqual([]);
});

test("use_state_after: state events the timeline filter drops are in state_after, and the state filter applies", async () => {
  const roomId = await s.createRoom(alice, { name: "Filtered" });
  const filter = { room: { timeline: { not_types: ["m.room.topic", "m.room.name"] }, state: { not_types: ["m.room.power_levels"] } } };
  const first = await sync(alice, { use_state_after: "true", filter });
  const initial = first.rooms.join[roomId];
  expect(initial.state_after.events.some((e: any) => e.type === "m.room.power_levels")).toBe(false);
  expect(initial.state_after.events.find((e: any) => e.type === "m.room.name").content.name).toBe("Filtered");
  await s.setState(alice, roomId, "m.room.topic", "", { topic: "hidden from the timeline" });
  await s.setState(alice, roomId, "m.room.name", "", { name: "Renamed" });
  await s.setState(alice, roomId, "m.room.power_levels", "", { users: { [alice.userId]: 100 }, users_default: 0 });
  await s.sendText(alice, roomId, "visible");
  const next = (await sync(alice, { since: first.next_batch, use_state_after: "true", filter })).rooms.join[roomId];
  expect(next.timeline.events.map((e: any) => e.type)).toEqual(["m.room.power_levels", "m.room.message"]);
  const after = Object.fromEntries(next.state_after.events.map((e: any) => [e.type, e.content]));
  expect(Object.keys(after).sort()).toEqual(["m.room.name", "m.room.topic"]);
  expect(after["m.room.topic"].topic).toBe("hidden from the timeline");
  expect(after["m.room.name"].name).toBe("Renamed");
  // Nothing new since: the room is left out.
  const next2 = await sync(alice, { since: (await sync(alice, { since: first.next_batch, use_state_after: "true", filter })).next_batch, use_state_after: "true", filter });
  expect(next2.rooms.join[roomId]).toBeUndefined();
});

test("limited incremental sync: the state delta covers changes in the gap", async () => {
  const roomId = await s.createRoom(alice, { name: "Gap" });
  const first = await sync(alice);
  await s.setState(alice, roomId, "m.room.topic", "", { topic: "in the gap" });
  for (let i = 0; i < 3; i++) await s.sendText(alice, roomId, `g${i}`);
  const room = (await sync(alice, { since: first.next_batch, filter: { room: { timeline: { limit: 2 } } } })).rooms.join[roomId];
  expect(room.timeline.limited).toBe(true);
  expect(bodies(room)).toEqual(["g1", "g2"]);
  expect(room.state.events.map((e: any) => [e.type, e.content.topic])).toEqual([["m.room.topic", "in the gap"]]);
});

test("filters: by id and inline, types/not_types/senders, room.rooms/not_rooms, event_fields, event_format", async () => {
  const a = await s.createRoom(alice);
  const b = await s.createRoom(alice);
  await s.join(bob, a).then(async () => (await s.invite(alice, a, bob.userId), s.join(bob, a)));
  await s.sendText(alice, a, "from alice");
  await s.sendText(bob, a, "from bob");
  await s.send(alice, a, { x: 1 }, "org.example.custom");
  const onlyA = { room: { rooms: [a], timeline: { types: ["m.room.message"], not_senders: [bob.userId] } } };
  const { filter_id } = await s.ok("POST", `/_matrix/client/v3/user/${encodeURIComponent(alice.userId)}/filter`, { token: alice.token, body: onlyA });
  for (const filter of [filter_id, onlyA]) {
    const body = await sync(alice, { filter });
    expect(Object.keys(body.rooms.join)).toEqual([a]);
    expect(body.rooms.join[a].timeline.events.map((e: any) => [e.type, e.content.body])).toEqual([["m.room.message", "from alice"]]);
  }
  const notB = await sync(alice, { filter: { room: { not_rooms: [b], timeline: { types: ["org.*"] } } } });
  expect(notB.rooms.join[b]).toBeUndefined();
  expect(notB.rooms.join[a].timeline.events.map((e: any) => e.type)).toEqual(["org.example.custom"]);
  const fields = await sync(alice, { filter: { event_fields: ["type", "content.body"], room: { rooms: [a], timeline: { types: ["m.room.message"] } } } });
  expect(fields.rooms.join[a].timeline.events.at(-1)).toEqual({ type: "m.room.message", content: { body: "from bob" } });
  const federation = await sync(alice, { filter: { event_format: "federation", room: { rooms: [a], timeline: { limit: 1 } } } });
  const pdu = federation.rooms.join[a].timeline.events[0];
  expect(pdu.room_id).toBe(a);
  expect(pdu.auth_events).toBeArray();
  expect(pdu.hashes).toBeDefined();
});

test("lazy-loading members: only the timeline senders' and own member events; redundant ones left out later", async () => {
  const carol = await s.register("carol");
  // Named: an unnamed room's heroes would join the lazy members.
  const roomId = await s.createRoom(alice, { preset: "public_chat", name: "Lazy" });
  await s.join(bob, roomId);
  await s.join(carol, roomId);
  for (let i = 0; i < 3; i++) await s.sendText(bob, roomId, `b${i}`);
  const lazy = { room: { rooms: [roomId], timeline: { limit: 2 }, state: { lazy_load_members: true } } };
  const first = await sync(alice, { filter: lazy });
  const members = (body: any) => body.rooms.join[roomId].state.events.filter((e: any) => e.type === "m.room.member").map((e: any) => e.state_key).sort();
  expect(members(first)).toEqual([alice.userId, bob.userId].sort());
  expect(first.rooms.join[roomId].state.events.some((e: any) => e.type === "m.room.create")).toBe(true);
  await s.sendText(bob, roomId, "again");
  const second = await sync(alice, { since: first.next_batch, filter: lazy });
  expect(second.rooms.join[roomId].state.events).toEqual([]);
  await s.sendText(bob, roomId, "and again");
  const redundant = await sync(alice, { since: second.next_batch, filter: { room: { ...lazy.room, state: { lazy_load_members: true, include_redundant_members: true } } } });
  expect(members(redundant)).toEqual([bob.userId]);
  // Without lazy loading every member is in the state.
  expect(members(await sync(alice, { filter: { room: { rooms: [roomId], timeline: { limit: 2 } } } }))).toEqual([alice.userId, bob.userId, carol.userId].sort());
});

test("invites: stripped invite_state with the inviter and the invite; joining moves the room to join with full state", async () => {
  const dana = await s.register("dana");
  const roomId = await s.createRoom(alice, { name: "Invited", topic: "t" });
  const before = await sync(dana);
  await s.invite(alice, roomId, dana.userId);
  const invited = await sync(dana, { since: before.next_batch });
  const events = invited.rooms.invite[roomId].invite_state.events;
  expect(events.map((e: any) => e.type)).toContain("m.room.create");
  expect(events.find((e: any) => e.type === "m.room.name")).toEqual({ type: "m.room.name", state_key: "", content: { name: "Invited" }, sender: alice.userId });
  expect(events.find((e: any) => e.type === "m.room.member" && e.state_key === alice.userId).content.membership).toBe("join");
  const invite = events.at(-1);
  expect([invite.type, invite.state_key, invite.content.membership, invite.sender]).toEqual(["m.room.member", dana.userId, "invite", alice.userId]);
  expect(invited.rooms.join[roomId]).toBeUndefined();
  // The same invite is not sent again.
  expect((await sync(dana, { since: invited.next_batch })).rooms.invite).toEqual({});
  await s.join(dana, roomId);
  const joined = (await sync(dana, { since: invited.next_batch })).rooms.join[roomId];
  expect(joined.timeline.events.at(-1).content.membership).toBe("join");
  // The whole room as an initial sync shows it: here all of it fits in the timeline.
  expect([...joined.state.events, ...joined.timeline.events].some((e: any) => e.type === "m.room.create")).toBe(true);
  expect(joined.summary["m.joined_member_count"]).toBe(2);
});

test("leaves: the timeline up to the leave; initial sync shows left rooms only with include_leave; forgotten never", async () => {
  const erin = await s.register("erin");
  const roomId = await s.createRoom(alice, { preset: "public_chat" });
  await s.join(erin, roomId);
  const before = await sync(erin);
  await s.sendText(alice, roomId, "before leave");
  await s.call("POST", `/_matrix/client/v3/rooms/${encodeURIComponent(roomId)}/leave`, { token: erin.token, body: {} });
  await s.sendText(alice, roomId, "after leave");
  const left = await sync(erin, { since: before.next_batch });
  const room = left.rooms.leave[roomId];
  expect(bodies(room)).toEqual(["before leave"]);
  expect(room.timeline.events.at(-1).content.membership).toBe("leave");
  expect(left.rooms.join[roomId]).toBeUndefined();
  expect((await sync(erin)).rooms.leave[roomId]).toBeUndefined();
  const withLeave = await sync(erin, { filter: { room: { include_leave: true } } });
  expect(bodies(withLeave.rooms.leave[roomId])).toEqual(["before leave"]);
  // full_state with include_leave brings a room left before `since` back: its state at the leave, no timeline after `since`.
  const full = await sync(erin, { since: left.next_batch, full_state: "true", filter: { room: { include_leave: true } } });
  const again = full.rooms.leave[roomId];
  expect(again.timeline.events).toEqual([]);
  expect(again.state.events.find((e: any) => e.type === "m.room.member" && e.state_key === erin.userId).content.membership).toBe("leave");
  expect((await sync(erin, { since: left.next_batch, full_state: "true" })).rooms.leave[roomId]).toBeUndefined();
  await s.ok("POST", `/_matrix/client/v3/rooms/${encodeURIComponent(roomId)}/forget`, { token: erin.token, body: {} });
  expect((await sync(erin, { filter: { room: { include_leave: true } } })).rooms.leave[roomId]).toBeUndefined();
});

test("a rejected invite is a leave with just the leave event", async () => {
  const fred = await s.register("fred");
  const roomId = await s.createRoom(alice);
  await s.invite(alice, roomId, fred.userId);
  const invited = await sync(fred);
  expect(invited.rooms.invite[roomId]).toBeDefined();
  await s.call("POST", `/_matrix/client/v3/rooms/${encodeURIComponent(roomId)}/leave`, { token: fred.token, body: {} });
  const body = await sync(fred, { since: invited.next_batch });
  expect(body.rooms.leave[roomId].timeline.events.map((e: any) => [e.type, e.content.membership])).toEqual([["m.room.member", "leave"]]);
});

test("knocks: knock_state with the knock", async () => {
  const gina = await s.register("gina");
  const roomId = await s.createRoom(alice, { name: "Knock here", initial_state: [{ type: "m.room.join_rules", state_key: "", content: { join_rule: "knock" } }] });
  const res = await s.call("POST", `/_matrix/client/v3/knock/${encodeURIComponent(roomId)}`, { token: gina.token, body: {} });
  expect(res.status).toBe(200);
  const events = (await sync(gina)).rooms.knock[roomId].knock_state.events;
  expect(events.find((e: any) => e.type === "m.room.join_rules").content.join_rule).toBe("knock");
  expect(events.at(-1).content.membership).toBe("knock");
});

test("ephemeral: typing and receipts; m.read.private only for its owner", async () => {
  const roomId = await s.createRoom(alice, { preset: "public_chat" });
  await s.join(bob, roomId);
  const eventId = await s.sendText(alice, roomId, "read me");
  const start = await sync(alice);
  const sinceBob = await sync(bob);
  await s.ok("PUT", `/_matrix/client/v3/rooms/${encodeURIComponent(roomId)}/typing/${encodeURIComponent(bob.userId)}`, { token: bob.token, body: { typing: true, timeout: 30000 } });
  await s.ok("POST", `/_matrix/client/v3/rooms/${encodeURIComponent(roomId)}/receipt/m.read/${encodeURIComponent(eventId)}`, { token: bob.token, body: {} });
  await s.ok("POST", `/_matrix/client/v3/rooms/${encodeURIComponent(roomId)}/receipt/m.read.private/${encodeURIComponent(eventId)}`, { token: bob.token, body: {} });
  const ephemeral = (await sync(alice, { since: start.next_batch })).rooms.join[roomId].ephemeral.events;
  expect(ephemeral.find((e: any) => e.type === "m.typing").content).toEqual({ user_ids: [bob.userId] });
  const receipts = ephemeral.filter((e: any) => e.type === "m.receipt").map((e: any) => Object.keys(e.content[eventId]));
  expect(receipts.flat()).toEqual(["m.read"]);
  const own = (await sync(bob, { since: sinceBob.next_batch })).rooms.join[roomId].ephemeral.events.filter((e: any) => e.type === "m.receipt");
  expect(own.flatMap((e: any) => Object.keys(e.content[eventId])).sort()).toEqual(["m.read", "m.read.private"]);
  // The ephemeral filter can leave typing out.
  const filtered = await sync(alice, { since: start.next_batch, filter: { room: { ephemeral: { not_types: ["m.typing"] } } } });
  expect(filtered.rooms.join[roomId].ephemeral.events.every((e: any) => e.type === "m.receipt")).toBe(true);
});

test("account data: global and per room, filtered; ignored users' messages are left out", async () => {
  const roomId = await s.createRoom(alice, { preset: "public_chat" });
  await s.join(bob, roomId);
  const start = await sync(alice);
  const user = encodeURIComponent(alice.userId);
  await s.ok("PUT", `/_matrix/client/v3/user/${user}/account_data/org.example.global`, { token: alice.token, body: { a: 1 } });
  await s.ok("PUT", `/_matrix/client/v3/user/${user}/rooms/${encodeURIComponent(roomId)}/account_data/org.example.room`, { token: alice.token, body: { b: 2 } });
  const body = await sync(alice, { since: start.next_batch });
  expect(body.account_data.events).toEqual([{ type: "org.example.global", content: { a: 1 } }]);
  expect(body.rooms.join[roomId].account_data.events).toEqual([{ type: "org.example.room", content: { b: 2 } }]);
  expect((await sync(alice, { since: start.next_batch, filter: { account_data: { not_types: ["org.*"] } } })).account_data.events).toEqual([]);
  await s.ok("PUT", `/_matrix/client/v3/user/${user}/account_data/m.ignored_user_list`, { token: alice.token, body: { ignored_users: { [bob.userId]: {} } } });
  const mid = await sync(alice);
  await s.sendText(bob, roomId, "ignored");
  await s.sendText(alice, roomId, "mine");
  expect(bodies((await sync(alice, { since: mid.next_batch })).rooms.join[roomId])).toEqual(["mine"]);
  await s.ok("PUT", `/_matrix/client/v3/user/${user}/account_data/m.ignored_user_list`, { token: alice.token, body: { ignored_users: {} } });
});

test("history visibility: a joined-only room hides what came before the join", async () => {
  const hank = await s.register("hank");
  const roomId = await s.createRoom(alice, { preset: "public_chat", initial_state: [{ type: "m.room.history_visibility", state_key: "", content: { history_visibility: "joined" } }] });
  await s.sendText(alice, roomId, "secret");
  await s.join(hank, roomId);
  await s.sendText(alice, roomId, "public");
  const room = (await sync(hank)).rooms.join[roomId];
  expect(bodies(room)).toEqual(["public"]);
  const shared = await s.createRoom(alice, { preset: "public_chat" });
  await s.sendText(alice, shared, "shared history");
  await s.join(hank, shared);
  expect(bodies((await sync(hank)).rooms.join[shared])).toEqual(["shared history"]);
});

test("summary: heroes for a room without a name", async () => {
  const roomId = await s.createRoom(alice);
  await s.invite(alice, roomId, bob.userId);
  const summary = (await sync(alice)).rooms.join[roomId].summary;
  expect(summary).toEqual({ "m.heroes": [bob.userId], "m.joined_member_count": 1, "m.invited_member_count": 1 });
});

test("full_state sends the whole state again", async () => {
  const roomId = await s.createRoom(alice, { name: "Full" });
  const first = await sync(alice);
  await s.sendText(alice, roomId, "x");
  const body = await sync(alice, { since: first.next_batch, full_state: true });
  expect(body.rooms.join[roomId].state.events.some((e: any) => e.type === "m.room.create")).toBe(true);
});

test("a token from the future (typing restarted) sends typing again rather than never", async () => {
  const roomId = await s.createRoom(alice);
  await s.ok("PUT", `/_matrix/client/v3/rooms/${encodeURIComponent(roomId)}/typing/${encodeURIComponent(alice.userId)}`, { token: alice.token, body: { typing: true, timeout: 30000 } });
  const body = await sync(alice);
  const parts = body.next_batch.slice(1).split("_");
  parts[3] = "8999999999999999";
  const again = await sync(alice, { since: `s${parts.join("_")}` });
  expect(again.rooms.join[roomId].ephemeral.events.find((e: any) => e.type === "m.typing").content.user_ids).toEqual([alice.userId]);
  await s.ok("PUT", `/_matrix/client/v3/rooms/${encodeURIComponent(roomId)}/typing/${encodeURIComponent(alice.userId)}`, { token: alice.token, body: { typing: false } });
});

test("refusals: bad since, unknown filter id, bad filter JSON or schema, bad timeout or set_presence, no token", async () => {
  expectError(await s.sync(alice, { since: "nonsense" }), 400, "M_INVALID_PARAM");
  expectError(await s.sync(alice, { since: "s1_2" }), 400, "M_INVALID_PARAM");
  expectError(await s.sync(alice, { filter: "987654" }), 400, "M_INVALID_PARAM");
  expectError(await s.sync(alice, { filter: "{not json" }), 400, "M_NOT_JSON");
  expectError(await s.sync(alice, { filter: { room: { timeline: { limit: "ten" } } } }), 400, "M_BAD_JSON");
  expectError(await s.sync(alice, { timeout: "soon" }), 400, "M_INVALID_PARAM");
  expectError(await s.sync(alice, { set_presence: "busy" }), 400, "M_INVALID_PARAM");
  expectError(await s.call("GET", "/_matrix/client/v3/sync"), 401, "M_MISSING_TOKEN");
  // Another user's filter id names no filter of this user.
  const { filter_id } = await s.ok("POST", `/_matrix/client/v3/user/${encodeURIComponent(bob.userId)}/filter`, { token: bob.token, body: {} });
  expectError(await s.sync(alice, { filter: filter_id }), 400, "M_INVALID_PARAM");
});

test("presence: users sharing a room, filtered by the presence filter", async () => {
  const roomId = await s.createRoom(alice, { preset: "public_chat" });
  await s.join(bob, roomId);
  const start = await sync(alice);
  await s.ok("PUT", `/_matrix/client/v3/presence/${encodeURIComponent(bob.userId)}/status`, { token: bob.token, body: { presence: "unavailable", status_msg: "away" } });
  const body = await sync(alice, { since: start.next_batch });
  const bobs = body.presence.events.filter((e: any) => e.sender === bob.userId);
  expect(bobs.at(-1)).toMatchObject({ type: "m.presence", content: { presence: "unavailable", status_msg: "away" } });
  const filtered = await sync(alice, { since: start.next_batch, filter: { presence: { not_senders: [bob.userId] } } });
  expect(filtered.presence.events.some((e: any) => e.sender === bob.userId)).toBe(false);
});

test("unread counts from the push module, cleared by a receipt; m.push_rules in global account data", async () => {
  const roomId = await s.createRoom(alice, { preset: "public_chat", name: "Counts" });
  await s.join(bob, roomId);
  const initial = await sync(alice);
  expect(initial.account_data.events.find((e: any) => e.type === "m.push_rules").content.global.override).toBeArray();
  await s.sendText(bob, roomId, "one");
  const last = await s.sendText(bob, roomId, "two");
  const counted = await sync(alice, { since: initial.next_batch });
  expect(counted.rooms.join[roomId].unread_notifications).toEqual({ notification_count: 2, highlight_count: 0 });
  // Push rules unchanged: not sent again.
  expect(counted.account_data.events.some((e: any) => e.type === "m.push_rules")).toBe(false);
  await s.ok("POST", `/_matrix/client/v3/rooms/${encodeURIComponent(roomId)}/receipt/m.read/${encodeURIComponent(last)}`, { token: alice.token, body: {} });
  const read = await sync(alice, { since: counted.next_batch });
  expect(read.rooms.join[roomId].unread_notifications).toEqual({ notification_count: 0, highlight_count: 0 });
});

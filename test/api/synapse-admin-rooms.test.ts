// Synapse's room, room membership, event report and registration token admin APIs through HTTP.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { roomsTestServer, type RoomsTestServer, type Session } from "../helpers/rooms.ts";

let s: RoomsTestServer;
let admin: Session;
let alice: Session;
let bob: Session;
const A = "/_synapse/admin";
const v3 = "/_matrix/client/v3";
const enc = encodeURIComponent;

beforeAll(async () => {
  s = await roomsTestServer();
  admin = await s.register("admin");
  await s.accounts.repo.setAdmin(admin.userId, true);
  alice = await s.register("alice");
  bob = await s.register("bob");
});
afterAll(() => s.close());

const get = (path: string, token = admin.token) => s.call("GET", path, { token });

describe("rooms", () => {
  let lobby: string;
  let secret: string;
  beforeAll(async () => {
    lobby = await s.createRoom(alice, { name: "Zeta Lobby", preset: "public_chat", room_alias_name: "lobby", visibility: "public" });
    expect((await s.join(bob, lobby)).status).toBe(200);
    secret = await s.createRoom(alice, { name: "Alpha Secret", topic: "hush" });
    await s.createRoom(alice, { name: "Mid Room" });
  });

  test("list: order, search, filters, pagination, bad params", async () => {
    const all = await get(`${A}/v1/rooms`);
    expect(all.status).toBe(200);
    expect(all.body.rooms.map((r: any) => r.name)).toEqual(["Alpha Secret", "Mid Room", "Zeta Lobby"]);
    expect(all.body).toMatchObject({ offset: 0, total_rooms: 3 });
    expect(all.body.rooms[2]).toMatchObject({
      room_id: lobby, canonical_alias: "#lobby:test.local", joined_members: 2, joined_local_members: 2, version: "11", creator: alice.userId,
      federatable: true, public: true, join_rules: "public", history_visibility: "shared", room_type: null,
    });
    expect(all.body.rooms[2].state_events).toBeGreaterThan(5);
    const bySize = await get(`${A}/v1/rooms?order_by=joined_members&limit=1`);
    expect(bySize.body.rooms.map((r: any) => r.room_id)).toEqual([lobby]);
    expect(bySize.body).toMatchObject({ next_batch: 1, total_rooms: 3 });
    const next = await get(`${A}/v1/rooms?order_by=joined_members&limit=1&from=1`);
    expect(next.body).toMatchObject({ offset: 1, prev_batch: 0, next_batch: 2 });
    expect((await get(`${A}/v1/rooms?dir=b`)).body.rooms[0].name).toBe("Zeta Lobby");
    expect((await get(`${A}/v1/rooms?search_term=lobby`)).body.rooms.map((r: any) => r.room_id)).toEqual([lobby]);
    expect((await get(`${A}/v1/rooms?search_term=${enc(secret)}`)).body.total_rooms).toBe(1);
    expect((await get(`${A}/v1/rooms?public_rooms=true`)).body.rooms.map((r: any) => r.room_id)).toEqual([lobby]);
    expect((await get(`${A}/v1/rooms?empty_rooms=true`)).body.total_rooms).toBe(0);
    for (const bad of ["order_by=colour", "dir=x", "limit=-1", "public_rooms=1"]) expect((await get(`${A}/v1/rooms?${bad}`)).status).toBe(400);
    expect((await get(`${A}/v1/rooms`, alice.token)).status).toBe(403);
  });

  test("details, members and state; unknown rooms 404", async () => {
    const details = await get(`${A}/v1/rooms/${enc(secret)}`);
    expect(details.body).toMatchObject({ room_id: secret, name: "Alpha Secret", topic: "hush", joined_local_devices: 1, forgotten: false, tombstoned: false, replacement_room: null, public: false });
    expect((await get(`${A}/v1/rooms/${enc(lobby)}/members`)).body).toEqual({ members: [alice.userId, bob.userId].sort(), total: 2 });
    const state = await get(`${A}/v1/rooms/${enc(lobby)}/state`);
    expect(state.body.state.map((e: any) => e.type)).toContain("m.room.create");
    const names = await get(`${A}/v1/rooms/${enc(lobby)}/state?type=m.room.name`);
    expect(names.body.state).toHaveLength(1);
    expect(names.body.state[0].content).toEqual({ name: "Zeta Lobby" });
    for (const path of ["", "/members", "/state"]) expect((await get(`${A}/v1/rooms/${enc("!nope:test.local")}${path}`)).status).toBe(404);
    expect((await get(`${A}/v1/rooms/nonsense`)).status).toBe(400);
  });

  test("join: a public room directly, an invite-only room through the admin's invite", async () => {
    const carol = await s.register("carol");
    const join = (room: string, userId: string) => s.call("POST", `${A}/v1/join/${enc(room)}`, { token: admin.token, body: { user_id: userId } });
    expect(await join("#lobby:test.local", carol.userId)).toEqual({ status: 200, body: { room_id: lobby } });
    expect((await get(`${A}/v1/rooms/${enc(lobby)}/members`)).body.members).toContain(carol.userId);
    // Invite-only: the admin is not in the room, so cannot invite.
    expect((await join(secret, carol.userId)).status).toBe(403);
    const own = await s.createRoom(admin);
    expect((await join(own, carol.userId)).status).toBe(200);
    expect((await get(`${A}/v1/rooms/${enc(own)}/members`)).body.members).toContain(carol.userId);
    expect((await join(own, "@x:elsewhere.org")).status).toBe(400);
    expect((await join(own, "@nobody:test.local")).status).toBe(404);
    expect((await join("lobby", carol.userId)).status).toBe(400);
    expect((await join("#missing:test.local", carol.userId)).status).toBe(404);
    expect((await s.call("POST", `${A}/v1/join/${enc(own)}`, { token: admin.token, body: {} })).status).toBe(400);
    expect((await s.call("POST", `${A}/v1/join/${enc(own)}`, { token: alice.token, body: { user_id: carol.userId } })).status).toBe(403);
  });
});

describe("event reports", () => {
  test("list, filter, paginate, show, delete", async () => {
    const roomId = await s.createRoom(alice, { preset: "public_chat", name: "Reported" });
    expect((await s.join(bob, roomId)).status).toBe(200);
    const first = await s.sendText(alice, roomId, "bad");
    const second = await s.sendText(alice, roomId, "worse");
    await s.ok("POST", `${v3}/rooms/${enc(roomId)}/report/${enc(first)}`, { token: bob.token, body: { reason: "spam", score: -100 } });
    await s.ok("POST", `${v3}/rooms/${enc(roomId)}/report/${enc(second)}`, { token: bob.token, body: { reason: "worse" } });
    await s.ok("POST", `${v3}/users/${enc(alice.userId)}/report`, { token: bob.token, body: { reason: "user report, not listed" } });
    const page = await get(`${A}/v1/event_reports?limit=1`);
    expect(page.body).toMatchObject({ total: 2, next_token: 1 });
    expect(page.body.event_reports[0]).toMatchObject({ event_id: second, user_id: bob.userId, sender: alice.userId, room_id: roomId, name: "Reported", reason: "worse" });
    const oldest = await get(`${A}/v1/event_reports?dir=f`);
    expect(oldest.body.event_reports.map((r: any) => r.event_id)).toEqual([first, second]);
    expect((await get(`${A}/v1/event_reports?event_sender_user_id=${enc(bob.userId)}`)).body.total).toBe(0);
    expect((await get(`${A}/v1/event_reports?user_id=${enc(bob.userId)}`)).body.total).toBe(2);
    const id = oldest.body.event_reports[0].id;
    const one = await get(`${A}/v1/event_reports/${id}`);
    expect(one.body).toMatchObject({ id, score: -100, event_json: { sender: alice.userId, type: "m.room.message", content: { body: "bad" } } });
    expect((await get(`${A}/v1/event_reports/abc`)).status).toBe(400);
    expect((await get(`${A}/v1/event_reports/999999`)).status).toBe(404);
    expect((await s.call("DELETE", `${A}/v1/event_reports/${id}`, { token: admin.token })).body).toEqual({});
    expect((await get(`${A}/v1/event_reports/${id}`)).status).toBe(404);
    expect((await s.call("DELETE", `${A}/v1/event_reports/${id}`, { token: admin.token })).status).toBe(404);
    expect((await get(`${A}/v1/event_reports`, bob.token)).status).toBe(403);
  });
});

describe("registration tokens", () => {
  const T = `${A}/v1/registration_tokens`;
  test("create, get, update, list by validity, delete", async () => {
    const made = await s.call("POST", `${T}/new`, { token: admin.token, body: { token: "defg", uses_allowed: 1 } });
    expect(made).toEqual({ status: 200, body: { token: "defg", uses_allowed: 1, pending: 0, completed: 0, expiry_time: null } });
    const random = await s.call("POST", `${T}/new`, { token: admin.token, body: { length: 20 } });
    expect(random.body.token).toMatch(/^[A-Za-z0-9._~-]{20}$/);
    expect((await get(`${T}/defg`)).body.uses_allowed).toBe(1);
    const updated = await s.call("PUT", `${T}/defg`, { token: admin.token, body: { uses_allowed: 0 } });
    expect(updated.body).toMatchObject({ token: "defg", uses_allowed: 0 });
    expect((await get(`${T}?valid=false`)).body.registration_tokens.map((t: any) => t.token)).toEqual(["defg"]);
    expect((await get(`${T}?valid=true`)).body.registration_tokens.map((t: any) => t.token)).toEqual([random.body.token]);
    expect((await get(T)).body.registration_tokens).toHaveLength(2);
    expect((await s.call("DELETE", `${T}/defg`, { token: admin.token })).body).toEqual({});
    expect((await get(`${T}/defg`)).status).toBe(404);
  });

  test("refusals: bad fields 400 M_INVALID_PARAM, duplicates, unknown tokens 404", async () => {
    const post = (body: unknown) => s.call("POST", `${T}/new`, { token: admin.token, body });
    for (const body of [{ token: "has space" }, { token: "x".repeat(65) }, { uses_allowed: -1 }, { uses_allowed: 1.5 }, { expiry_time: 1 }, { length: 0 }, { length: 65 }]) {
      const res = await post(body);
      expect([res.status, res.body.errcode]).toEqual([400, "M_INVALID_PARAM"]);
    }
    expect((await post({ token: "dup" })).status).toBe(200);
    expect((await post({ token: "dup" })).status).toBe(400);
    expect((await s.call("PUT", `${T}/nope`, { token: admin.token, body: { uses_allowed: 1 } })).status).toBe(404);
    expect((await s.call("PUT", `${T}/dup`, { token: admin.token, body: { expiry_time: "soon" } })).status).toBe(400);
    expect((await s.call("DELETE", `${T}/nope`, { token: admin.token })).status).toBe(404);
    expect((await get(`${T}?valid=perhaps`)).status).toBe(400);
  });
});

// Synapse's Block Room and Delete Room admin APIs through HTTP: blocking refuses joins, invites
// and knocks; deleting moves or removes local members and aliases and leaves no row behind,
// while syncing members see the leave and nothing of the room afterwards.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { ROOM_TABLES } from "../../src/storage/repos/admin-room-purge.ts";
import { roomsTestServer, type RoomsTestServer, type Session } from "../helpers/rooms.ts";

let s: RoomsTestServer;
let admin: Session;
let alice: Session;
let bob: Session;
let carol: Session;
const A = "/_synapse/admin";
const v3 = "/_matrix/client/v3";
const enc = encodeURIComponent;

beforeAll(async () => {
  s = await roomsTestServer();
  admin = await s.register("admin");
  await s.accounts.repo.setAdmin(admin.userId, true);
  alice = await s.register("alice");
  bob = await s.register("bob");
  carol = await s.register("carol");
});
afterAll(() => s.close());

/** Rows of the room left in every table that holds rooms, plus snapshot entries and transactions. */
async function rowsOf(roomId: string): Promise<Record<string, number>> {
  const sql = s.db.db.$client;
  const counts: Record<string, number> = {};
  for (const table of ROOM_TABLES) counts[table] = (await sql.unsafe(`select count(*)::int as n from ${table} where room_id = $1`, [roomId]))[0]!.n;
  counts.state_snapshot_entries = (await sql`select count(*)::int as n from state_snapshot_entries x join state_snapshots s on s.id = x.snapshot_id where s.room_id = ${roomId}`)[0]!.n;
  return counts;
}
const nonZero = (counts: Record<string, number>) => Object.entries(counts).filter(([, n]) => n > 0).map(([table]) => table);

describe("block", () => {
  test("block, status, refusals of join, invite and knock, unblock; non-admin 403", async () => {
    const room = await s.createRoom(alice, { preset: "public_chat" });
    const knockable = await s.createRoom(alice, { room_version: "11", initial_state: [{ type: "m.room.join_rules", state_key: "", content: { join_rule: "knock" } }] });
    expect((await s.call("GET", `${A}/v1/rooms/${enc(room)}/block`, { token: admin.token })).body).toEqual({ block: false });
    expect((await s.call("PUT", `${A}/v1/rooms/${enc(room)}/block`, { token: alice.token, body: { block: true } })).status).toBe(403);
    expect((await s.call("PUT", `${A}/v1/rooms/${enc(room)}/block`, { token: admin.token, body: { block: "yes" } })).status).toBe(400);
    expect((await s.call("PUT", `${A}/v1/rooms/not-a-room/block`, { token: admin.token, body: { block: true } })).body.errcode).toBe("M_INVALID_PARAM");
    for (const id of [room, knockable]) {
      expect((await s.call("PUT", `${A}/v1/rooms/${enc(id)}/block`, { token: admin.token, body: { block: true } })).body).toEqual({ block: true });
    }
    expect((await s.call("GET", `${A}/v1/rooms/${enc(room)}/block`, { token: admin.token })).body).toEqual({ block: true, user_id: admin.userId });

    const join = await s.join(bob, room);
    expect(join.status).toBe(403);
    expect(join.body.errcode).toBe("M_FORBIDDEN");
    expect((await s.setState(bob, room, "m.room.member", bob.userId, { membership: "join" })).status).toBe(403);
    expect((await s.invite(alice, room, bob.userId)).status).toBe(403);
    expect((await s.call("POST", `${v3}/knock/${enc(knockable)}`, { token: bob.token, body: {} })).status).toBe(403);
    // Members still talk and leave.
    await s.sendText(alice, room, "still here");

    expect((await s.call("PUT", `${A}/v1/rooms/${enc(room)}/block`, { token: admin.token, body: { block: false } })).body).toEqual({ block: false });
    expect((await s.call("GET", `${A}/v1/rooms/${enc(room)}/block`, { token: admin.token })).body).toEqual({ block: false });
    expect((await s.join(bob, room)).status).toBe(200);
  });

  test("a room unknown here may be blocked ahead", async () => {
    const unknown = "!future:elsewhere.example";
    expect((await s.call("PUT", `${A}/v1/rooms/${enc(unknown)}/block`, { token: admin.token, body: { block: true } })).status).toBe(200);
    expect((await s.call("GET", `${A}/v1/rooms/${enc(unknown)}/block`, { token: admin.token })).body.block).toBe(true);
  });
});

describe("delete", () => {
  test("v1: members leave (a syncing member sees it), aliases and directory entry go, no row remains; later syncs show nothing", async () => {
    const room = await s.createRoom(alice, { preset: "public_chat", room_alias_name: "doomed", visibility: "public", name: "Doomed" });
    expect((await s.join(bob, room)).status).toBe(200);
    expect((await s.invite(alice, room, carol.userId)).status).toBe(200);
    await s.sendText(bob, room, "hello");
    await s.ok("PUT", `${v3}/user/${enc(bob.userId)}/rooms/${enc(room)}/tags/u.work`, { token: bob.token, body: {} });
    await s.ok("POST", `${v3}/rooms/${enc(room)}/receipt/m.read/${enc(await s.sendText(alice, room, "read me"))}`, { token: bob.token, body: {} });
    const other = await s.createRoom(alice, { name: "Other" });
    const before = (await s.sync(bob)).body.next_batch;
    const sliding = await s.call("POST", "/_matrix/client/unstable/org.matrix.simplified_msc3575/sync", {
      token: bob.token, body: { lists: { all: { ranges: [[0, 10]], timeline_limit: 1 } } },
    });
    expect(sliding.status).toBe(200);

    expect((await s.call("DELETE", `${A}/v1/rooms/${enc(room)}`, { token: bob.token, body: {} })).status).toBe(403);
    expect((await s.call("DELETE", `${A}/v1/rooms/${enc(room)}`, { token: admin.token, body: { new_room_user_id: "@x:other.example" } })).status).toBe(400);
    expect((await s.call("DELETE", `${A}/v1/rooms/${enc(room)}`, { token: admin.token, body: { purge: "no" } })).status).toBe(400);
    expect((await s.call("DELETE", `${A}/v1/rooms/${enc("!nope:test.local")}`, { token: admin.token, body: {} })).status).toBe(400);

    // A long-polling sync of a member, running while the room is deleted.
    const syncing = s.sync(bob, { since: before, timeout: "20000" });
    await Bun.sleep(50);
    const res = await s.call("DELETE", `${A}/v1/rooms/${enc(room)}`, { token: admin.token, body: {} });
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ kicked_users: [alice.userId, bob.userId, carol.userId].sort(), failed_to_kick_users: [], local_aliases: ["#doomed:test.local"], new_room_id: null });
    expect(nonZero(await rowsOf(room))).toEqual([]);

    // The syncing member gets the leave; the next sync and a fresh one show no trace.
    const next = await syncing;
    expect(next.status).toBe(200);
    // Woken by the first leave of the shutdown (whichever section the room is in by then).
    const seen = { ...next.body.rooms?.join, ...next.body.rooms?.leave }[room];
    expect(seen.timeline.events.some((e: any) => e.type === "m.room.member" && e.content.membership === "leave")).toBe(true);
    const later = await s.sync(bob, { since: next.body.next_batch, timeout: "0" });
    expect(JSON.stringify(later.body)).not.toContain(room);
    expect(JSON.stringify((await s.sync(bob)).body)).not.toContain(room);
    expect(JSON.stringify((await s.sync(carol)).body)).not.toContain(room);
    const withLeave = await s.sync(bob, { filter: { room: { include_leave: true } } });
    expect(withLeave.status).toBe(200);
    expect(JSON.stringify(withLeave.body)).not.toContain(room);
    const slidingAfter = await s.call("POST", "/_matrix/client/unstable/org.matrix.simplified_msc3575/sync", {
      token: bob.token, body: { lists: { all: { ranges: [[0, 10]], timeline_limit: 1 } } },
    });
    expect(slidingAfter.status).toBe(200);
    expect(JSON.stringify(slidingAfter.body)).not.toContain(room);

    // The room is gone for every path; other rooms are untouched.
    expect((await s.send(alice, room, { msgtype: "m.text", body: "ghost" })).status).toBe(404);
    expect((await s.join(bob, room)).status).toBe(404);
    expect((await s.call("GET", `${v3}/directory/room/${enc("#doomed:test.local")}`)).status).toBe(404);
    expect((await s.call("GET", `${A}/v1/rooms/${enc(room)}`, { token: admin.token })).status).toBe(404);
    expect(JSON.stringify((await s.call("GET", `${v3}/publicRooms`)).body)).not.toContain(room);
    await s.sendText(alice, other, "other rooms work");
  });

  test("a long-polling sole member is woken with the room in its leave section", async () => {
    const room = await s.createRoom(carol, { name: "Alone" });
    const before = (await s.sync(carol)).body.next_batch;
    const syncing = s.sync(carol, { since: before, timeout: "20000" });
    await Bun.sleep(50);
    expect((await s.call("DELETE", `${A}/v1/rooms/${enc(room)}`, { token: admin.token, body: {} })).body.kicked_users).toEqual([carol.userId]);
    const woken = await syncing;
    expect(Object.keys(woken.body.rooms?.leave ?? {})).toEqual([room]);
    expect(JSON.stringify((await s.sync(carol, { since: woken.body.next_batch, timeout: "0" })).body)).not.toContain(room);
  });

  test("v1 with new_room_user_id, block and purge false: users and aliases move, the old room stays blocked", async () => {
    const room = await s.createRoom(alice, { preset: "public_chat", room_alias_name: "moving" });
    expect((await s.join(bob, room)).status).toBe(200);
    const res = await s.call("DELETE", `${A}/v1/rooms/${enc(room)}`, {
      token: admin.token, body: { new_room_user_id: admin.userId, room_name: "Closed", message: "Moved you", block: true, purge: false },
    });
    expect(res.status).toBe(200);
    const newRoom = res.body.new_room_id as string;
    expect(res.body).toMatchObject({ kicked_users: [alice.userId, bob.userId], failed_to_kick_users: [], local_aliases: ["#moving:test.local"] });
    expect((await s.call("GET", `${v3}/directory/room/${enc("#moving:test.local")}`)).body.room_id).toBe(newRoom);
    expect((await s.ok("GET", `${v3}/joined_rooms`, { token: bob.token })).joined_rooms).toContain(newRoom);
    expect((await s.getState(bob, newRoom, "m.room.name")).body).toEqual({ name: "Closed" });
    const messages = await s.ok("GET", `${v3}/rooms/${enc(newRoom)}/messages?dir=b&limit=20`, { token: bob.token });
    expect(messages.chunk.some((e: any) => e.content.body === "Moved you")).toBe(true);
    // Not purged: the rows stay, the room is blocked.
    expect((await rowsOf(room)).events).toBeGreaterThan(0);
    expect((await s.join(bob, room)).status).toBe(403);
    expect((await s.call("GET", `${A}/v1/rooms/${enc(room)}/block`, { token: admin.token })).body.block).toBe(true);
  });

  test("v1 on an unknown room with block: blocks only", async () => {
    const res = await s.call("DELETE", `${A}/v1/rooms/${enc("!gone:test.local")}`, { token: admin.token, body: { block: true } });
    expect(res.body).toEqual({ kicked_users: [], failed_to_kick_users: [], local_aliases: [], new_room_id: null });
    expect((await s.call("GET", `${A}/v1/rooms/${enc("!gone:test.local")}/block`, { token: admin.token })).body.block).toBe(true);
  });

  test("v2: delete_id, status by id and by room, refusals", async () => {
    const room = await s.createRoom(alice, { preset: "public_chat" });
    expect((await s.join(bob, room)).status).toBe(200);
    expect((await s.call("DELETE", `${A}/v2/rooms/${enc("!unknown:test.local")}`, { token: admin.token, body: {} })).status).toBe(404);
    expect((await s.call("DELETE", `${A}/v2/rooms/${enc(room)}`, { token: alice.token, body: {} })).status).toBe(403);
    expect((await s.call("GET", `${A}/v2/rooms/delete_status/nothing`, { token: admin.token })).status).toBe(404);
    expect((await s.call("GET", `${A}/v2/rooms/${enc(room)}/delete_status`, { token: admin.token })).status).toBe(404);

    const started = await s.call("DELETE", `${A}/v2/rooms/${enc(room)}`, { token: admin.token, body: {} });
    expect(started.status).toBe(200);
    const deleteId = started.body.delete_id as string;
    await s.services.admin!.roomDeletion.idle();
    const status = await s.call("GET", `${A}/v2/rooms/delete_status/${deleteId}`, { token: admin.token });
    expect(status.body).toEqual({
      delete_id: deleteId, room_id: room, status: "complete",
      shutdown_room: { kicked_users: [alice.userId, bob.userId], failed_to_kick_users: [], local_aliases: [], new_room_id: null },
    });
    expect((await s.call("GET", `${A}/v2/rooms/${enc(room)}/delete_status`, { token: admin.token })).body.results).toEqual([status.body]);
    expect((await s.call("GET", `${A}/v2/rooms/delete_status/${deleteId}`, { token: alice.token })).status).toBe(403);
    expect(nonZero(await rowsOf(room))).toEqual([]);
  });
});

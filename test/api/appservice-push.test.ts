// Homeserver -> application service: transactions of the events an AS is interested in (in
// order, once, with the hs_token, retried with the same id when it is down), ephemeral data,
// and the user and alias queries. A local Bun.serve plays the AS.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { roomsTestServer, type RoomsTestServer, type Session } from "../helpers/rooms.ts";
import { registrationFiles, startFakeAs, until, type FakeAs } from "../appservice/fake-as.ts";

const v3 = "/_matrix/client/v3";
const enc = encodeURIComponent;
let server: RoomsTestServer;
let fakeAs: FakeAs;
let alice: Session;
let bob: Session;

beforeAll(async () => {
  fakeAs = startFakeAs();
  const files = registrationFiles({
    "bridge.yaml": `id: bridge\nurl: ${fakeAs.url}\nas_token: bridge_as\nhs_token: bridge_hs\nsender_localpart: _br_bot\nreceive_ephemeral: true\nnamespaces:\n  users: [{ exclusive: true, regex: "@_br_.*:test\\\\.local" }]\n  aliases: [{ exclusive: true, regex: "#_br_.*:test\\\\.local" }]\n`,
  });
  server = await roomsTestServer({ APP_SERVICE_CONFIG_FILES: files });
  Object.assign(server.services.appServicePush!.retry, { initialMs: 30, maxMs: 120 });
  alice = await server.register("alice");
  bob = await server.register("bob");
});
afterAll(async () => {
  await server.close();
  fakeAs.stop();
});

/** Registers a user of the bridge's namespace as the AS does (m.login.application_service). */
async function registerAsUser(localpart: string): Promise<void> {
  await server.ok("POST", `${v3}/register`, { token: "bridge_as", body: { type: "m.login.application_service", username: localpart } });
}
const asUser = (userId: string) => ({ token: "bridge_as", query: `?user_id=${enc(userId)}` });

describe("transactions", () => {
  test("events of interest arrive once and in order with the hs_token; others do not", async () => {
    const roomId = await server.createRoom(alice, { preset: "public_chat" });
    const ghost = "@_br_ghost:test.local";
    await registerAsUser("_br_ghost");
    const { token, query } = asUser(ghost);
    expect((await server.call("POST", `${v3}/join/${enc(roomId)}${query}`, { token, body: {} })).status).toBe(200);
    const sent: string[] = [];
    for (let i = 0; i < 5; i++) sent.push(await server.sendText(alice, roomId, `m${i}`));
    const quiet = await server.createRoom(bob);
    const unseen = await server.sendText(bob, quiet, "not for the bridge");
    await until(() => sent.every((id) => fakeAs.eventIds(roomId).includes(id)), 5_000, "the messages");
    await server.services.appServicePush!.settled();
    const ids = fakeAs.eventIds(roomId);
    // The ghost's join first (its own namespace), then the messages, each once, in stream order.
    const messages = ids.filter((id) => sent.includes(id));
    expect(messages).toEqual(sent);
    expect(new Set(ids).size).toBe(ids.length);
    const events = fakeAs.processed().flatMap((a) => a.body.events);
    const join = events.find((e) => e.type === "m.room.member" && e.state_key === ghost);
    expect(join).toMatchObject({ room_id: roomId, sender: ghost, content: { membership: "join" } });
    expect(events.find((e) => e.event_id === sent[0])).toMatchObject({ type: "m.room.message", sender: alice.userId, content: { body: "m0" } });
    expect(fakeAs.eventIds(quiet)).toEqual([]);
    expect(fakeAs.eventIds().includes(unseen)).toBe(false);
    for (const attempt of fakeAs.state.attempts) {
      expect(attempt.auth).toBe("Bearer bridge_hs");
      expect(attempt.query).toBe(""); // no legacy access_token parameter
    }
    // Transaction ids grow: 1, 2, 3...
    const txnIds = fakeAs.processed().map((a) => Number(a.txnId));
    expect(txnIds).toEqual([...txnIds].sort((a, b) => a - b));
  });

  test("an AS that is down gets the same transaction again until it answers, then the rest", async () => {
    const roomId = await server.createRoom(alice, { preset: "public_chat" });
    await registerAsUser("_br_down");
    const { token, query } = asUser("@_br_down:test.local");
    await server.call("POST", `${v3}/join/${enc(roomId)}${query}`, { token, body: {} });
    await until(() => fakeAs.eventIds(roomId).length === 1, 5_000, "the join");
    fakeAs.state.mode = "down";
    const before = fakeAs.state.attempts.length;
    const first = await server.sendText(alice, roomId, "while down 1");
    await until(() => fakeAs.state.attempts.length >= before + 3, 5_000, "retries");
    const retried = fakeAs.state.attempts.slice(before);
    // The same id and the same body on every retry.
    expect(new Set(retried.map((a) => a.txnId)).size).toBe(1);
    for (const attempt of retried) expect(attempt.body).toEqual(retried[0]!.body);
    const second = await server.sendText(alice, roomId, "while down 2");
    fakeAs.state.mode = "up";
    await until(() => fakeAs.eventIds(roomId).includes(second), 5_000, "the second message");
    expect(fakeAs.eventIds(roomId).filter((id) => id === first || id === second)).toEqual([first, second]);
  });

  test("a 200 whose body is not JSON still acknowledges the transaction", async () => {
    const roomId = await server.createRoom(alice, { preset: "public_chat" });
    await registerAsUser("_br_garbage");
    await server.call("POST", `${v3}/join/${enc(roomId)}${asUser("@_br_garbage:test.local").query}`, { token: "bridge_as", body: {} });
    fakeAs.state.mode = "garbage";
    const id = await server.sendText(alice, roomId, "to a sloppy AS");
    await until(() => fakeAs.eventIds(roomId).includes(id), 5_000, "the message");
    fakeAs.state.mode = "up";
    const next = await server.sendText(alice, roomId, "after");
    await until(() => fakeAs.eventIds(roomId).includes(next), 5_000, "the next message");
    expect(fakeAs.state.attempts.filter((a) => a.body.events.some((e) => e.event_id === id))).toHaveLength(1);
  });

  test("a room with an alias in the AS's alias namespace is of interest", async () => {
    const roomId = await server.createRoom(alice, { preset: "public_chat" });
    // The alias is the AS's to create (exclusive namespace): its sender makes it.
    await registerAsUser("_br_aliaser");
    const { token, query } = asUser("@_br_aliaser:test.local");
    await server.call("POST", `${v3}/join/${enc(roomId)}${query}`, { token, body: {} });
    expect((await server.call("PUT", `${v3}/directory/room/${enc("#_br_room:test.local")}${query}`, { token, body: { room_id: roomId } })).status).toBe(200);
    await server.call("POST", `${v3}/rooms/${enc(roomId)}/leave${query}`, { token, body: {} });
    // No AS user is joined now; the alias alone makes the room interesting (after the alias cache's time).
    server.clock.offset += 60_000;
    const id = await server.sendText(alice, roomId, "aliased room");
    await until(() => fakeAs.eventIds(roomId).includes(id), 5_000, "the message");
    server.clock.offset -= 60_000;
  });
});

describe("ephemeral data (receive_ephemeral)", () => {
  test("typing and receipts of rooms of interest come with their room_id", async () => {
    const roomId = await server.createRoom(alice, { preset: "public_chat" });
    await registerAsUser("_br_eph");
    await server.call("POST", `${v3}/join/${enc(roomId)}${asUser("@_br_eph:test.local").query}`, { token: "bridge_as", body: {} });
    const id = await server.sendText(alice, roomId, "read me");
    await until(() => fakeAs.eventIds(roomId).includes(id), 5_000, "the message");
    await server.ok("PUT", `${v3}/rooms/${enc(roomId)}/typing/${enc(alice.userId)}`, { token: alice.token, body: { typing: true, timeout: 10_000 } });
    await server.ok("POST", `${v3}/rooms/${enc(roomId)}/receipt/m.read/${enc(id)}`, { token: alice.token, body: {} });
    const ephemeral = () => fakeAs.processed().flatMap((a) => a.body.ephemeral ?? []).filter((e) => e.room_id === roomId);
    await until(() => ephemeral().some((e) => e.type === "m.receipt"), 5_000, "the receipt");
    expect(ephemeral().find((e) => e.type === "m.typing")).toEqual({ type: "m.typing", room_id: roomId, content: { user_ids: [alice.userId] } });
    expect(ephemeral().find((e) => e.type === "m.receipt")).toMatchObject({ room_id: roomId, content: { [id]: { "m.read": { [alice.userId]: {} } } } });
    // A room of no interest: nothing.
    const other = await server.createRoom(bob);
    await server.ok("PUT", `${v3}/rooms/${enc(other)}/typing/${enc(bob.userId)}`, { token: bob.token, body: { typing: true, timeout: 10_000 } });
    await server.sendText(alice, roomId, "flush");
    await server.services.appServicePush!.settled();
    expect(fakeAs.processed().flatMap((a) => a.body.ephemeral ?? []).some((e) => e.room_id === other)).toBe(false);
  });
});

describe("queries", () => {
  test("an unknown alias in the namespace is asked of the AS; after its 200 the alias resolves", async () => {
    fakeAs.state.answerQuery = async (kind, id) => {
      if (kind !== "rooms" || id !== "#_br_made:test.local") return Response.json({}, { status: 404 });
      // The AS creates the room and the alias before answering (as its sender).
      const room = await server.ok("POST", `${v3}/createRoom`, { token: "bridge_as", body: { room_alias_name: "_br_made" } });
      expect(room.room_id).toBeString();
      return Response.json({});
    };
    const found = await server.call("GET", `${v3}/directory/room/${enc("#_br_made:test.local")}`);
    expect(found.status).toBe(200);
    expect(found.body.room_id).toMatch(/^!/);
    expect(fakeAs.state.queries.at(-1)).toEqual({ kind: "rooms", id: "#_br_made:test.local", auth: "Bearer bridge_hs" });
    const missing = await server.call("GET", `${v3}/directory/room/${enc("#_br_nothing:test.local")}`);
    expect(missing.status).toBe(404);
    expect(missing.body.errcode).toBe("M_NOT_FOUND");
    // Aliases outside the namespace are never asked about.
    const count = fakeAs.state.queries.length;
    expect((await server.call("GET", `${v3}/directory/room/${enc("#elsewhere:test.local")}`)).status).toBe(404);
    expect(fakeAs.state.queries.length).toBe(count);
  });

  test("inviting an unknown user of the namespace asks the AS first, which registers it", async () => {
    fakeAs.state.answerQuery = async (kind, id) => {
      if (kind !== "users" || id !== "@_br_invitee:test.local") return Response.json({}, { status: 404 });
      await registerAsUser("_br_invitee");
      return Response.json({});
    };
    const roomId = await server.createRoom(alice);
    expect((await server.invite(alice, roomId, "@_br_invitee:test.local")).status).toBe(200);
    expect(fakeAs.state.queries.filter((q) => q.kind === "users").map((q) => q.id)).toContain("@_br_invitee:test.local");
    expect((await server.call("GET", `${v3}/profile/${enc("@_br_invitee:test.local")}`)).status).not.toBe(500);
    // The invite reaches the AS (its state_key is in the namespace).
    await until(() => fakeAs.processed().some((a) => a.body.events.some((e) => e.room_id === roomId && e.state_key === "@_br_invitee:test.local")), 5_000, "the invite");
    // A user who exists is not asked about.
    const asked = fakeAs.state.queries.length;
    await server.invite(alice, roomId, "@_br_invitee:test.local");
    expect(fakeAs.state.queries.length).toBe(asked);
  });

  test("bad AS answers to queries (errors, garbage, slowness) never fail the request with a 500", async () => {
    fakeAs.state.answerQuery = (kind) => (kind === "rooms" ? new Response("not json", { status: 200 }) : Response.json({ errcode: "M_UNKNOWN" }, { status: 500 }));
    // A 200 without creating the alias: still not found.
    const res = await server.call("GET", `${v3}/directory/room/${enc("#_br_liar:test.local")}`);
    expect(res.status).toBe(404);
    const roomId = await server.createRoom(alice);
    expect((await server.invite(alice, roomId, "@_br_nobody:test.local")).status).toBe(200);
  });
});

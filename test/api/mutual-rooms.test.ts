// GET /v1/mutual_rooms: shared joined rooms, paged with next_batch.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { MUTUAL_ROOMS_PAGE } from "../../src/rooms/mutual-rooms.ts";
import { roomsTestServer, type RoomsTestServer, type Session } from "../helpers/rooms.ts";

let server: RoomsTestServer;
let alice: Session;
let bob: Session;
let carol: Session;
const mutual = (user: Session, query: string) => server.call("GET", `/_matrix/client/v1/mutual_rooms?${query}`, { token: user.token });
const userQuery = (userId: string, from?: string) => `user_id=${encodeURIComponent(userId)}${from ? `&from=${encodeURIComponent(from)}` : ""}`;

beforeAll(async () => {
  server = await roomsTestServer();
  alice = await server.register("alice");
  bob = await server.register("bob");
  carol = await server.register("carol");
});
afterAll(() => server.close());

describe("GET /mutual_rooms", () => {
  test("rooms both are joined to; not invited or left ones", async () => {
    const shared = await server.createRoom(alice, { preset: "public_chat" });
    await server.join(bob, shared);
    const invitedOnly = await server.createRoom(alice);
    await server.invite(alice, invitedOnly, bob.userId);
    const left = await server.createRoom(alice, { preset: "public_chat" });
    await server.join(bob, left);
    await server.ok("POST", `/_matrix/client/v3/rooms/${encodeURIComponent(left)}/leave`, { token: bob.token, body: {} });
    expect((await mutual(alice, userQuery(bob.userId))).body).toEqual({ joined: [shared], count: 1 });
    expect((await mutual(bob, userQuery(alice.userId))).body).toEqual({ joined: [shared], count: 1 });
  });

  test("unknown users share no rooms", async () => {
    expect((await mutual(alice, userQuery("@nobody:elsewhere.example"))).body).toEqual({ joined: [], count: 0 });
  });

  test("pages: next_batch until the end, count of all", async () => {
    const rooms: string[] = [];
    for (let i = 0; i < MUTUAL_ROOMS_PAGE + 2; i++) {
      const roomId = await server.createRoom(carol, { preset: "public_chat" });
      await server.join(bob, roomId);
      rooms.push(roomId);
    }
    const first = (await mutual(carol, userQuery(bob.userId))).body;
    expect(first.joined.length).toBe(MUTUAL_ROOMS_PAGE);
    expect(first.count).toBe(MUTUAL_ROOMS_PAGE + 2);
    const second = (await mutual(carol, userQuery(bob.userId, first.next_batch))).body;
    expect(second.next_batch).toBeUndefined();
    expect(second.count).toBe(MUTUAL_ROOMS_PAGE + 2);
    expect([...first.joined, ...second.joined].sort()).toEqual(rooms.sort());
  });

  test("400 M_INVALID_PARAM: own id, invalid id, bad token; missing user_id", async () => {
    for (const query of [userQuery(alice.userId), userQuery("bob"), userQuery(bob.userId, "garbage"), userQuery(bob.userId, "m" + Buffer.from("x").toString("base64url")), ""]) {
      const res = await mutual(alice, query);
      expect([query, res.status, res.body.errcode]).toEqual([query, 400, "M_INVALID_PARAM"]);
    }
  });

  test("401 without an access token", async () => {
    expect((await server.call("GET", `/_matrix/client/v1/mutual_rooms?${userQuery(bob.userId)}`)).status).toBe(401);
  });
});

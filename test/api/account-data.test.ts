// Account data through HTTP: global and per-room, m.ignored_user_list, server-managed types.
// https://spec.matrix.org/v1.19/client-server-api/#client-config
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { createAccountDataRepo } from "../../src/storage/repos/account-data.ts";
import { userDataTestServer, type Session, type UserDataTestServer } from "../helpers/user-data.ts";

let s: UserDataTestServer;
let alice: Session;
let bob: Session;
const ROOM = "!room:test.local";
const global = (userId: string, type: string) => `/_matrix/client/v3/user/${encodeURIComponent(userId)}/account_data/${type}`;
const perRoom = (userId: string, roomId: string, type: string) =>
  `/_matrix/client/v3/user/${encodeURIComponent(userId)}/rooms/${encodeURIComponent(roomId)}/account_data/${type}`;

beforeAll(async () => {
  s = await userDataTestServer();
  alice = await s.register("alice");
  bob = await s.register("bob");
});
afterAll(() => s.close());

describe("global and per-room account data", () => {
  test("put, get, replace; room data does not fall back to global data", async () => {
    expect(await s.call("PUT", global(alice.userId, "org.example.config"), { token: alice.token, body: { a: 1 } })).toEqual({ status: 200, body: {} });
    expect((await s.call("GET", global(alice.userId, "org.example.config"), { token: alice.token })).body).toEqual({ a: 1 });
    await s.call("PUT", global(alice.userId, "org.example.config"), { token: alice.token, body: { b: 2 } });
    expect((await s.call("GET", global(alice.userId, "org.example.config"), { token: alice.token })).body).toEqual({ b: 2 });
    expect((await s.call("GET", perRoom(alice.userId, ROOM, "org.example.config"), { token: alice.token })).status).toBe(404);
    await s.call("PUT", perRoom(alice.userId, ROOM, "org.example.config"), { token: alice.token, body: { room: true } });
    expect((await s.call("GET", perRoom(alice.userId, ROOM, "org.example.config"), { token: alice.token })).body).toEqual({ room: true });
    expect((await s.call("GET", global(alice.userId, "org.example.config"), { token: alice.token })).body).toEqual({ b: 2 });
  });

  test("unknown type: 404 M_NOT_FOUND", async () => {
    const res = await s.call("GET", global(alice.userId, "org.example.none"), { token: alice.token });
    expect([res.status, res.body.errcode]).toEqual([404, "M_NOT_FOUND"]);
  });

  test("someone else's account data: 403 for reads and writes, in rooms too", async () => {
    for (const [method, path] of [["GET", global(alice.userId, "org.example.config")], ["GET", perRoom(alice.userId, ROOM, "org.example.config")]] as const) {
      const res = await s.call(method, path, { token: bob.token });
      expect([res.status, res.body.errcode]).toEqual([403, "M_FORBIDDEN"]);
    }
    const put = await s.call("PUT", global(alice.userId, "org.example.config"), { token: bob.token, body: { evil: true } });
    expect(put.status).toBe(403);
    expect((await s.call("PUT", perRoom(alice.userId, ROOM, "x.y"), { token: bob.token, body: {} })).status).toBe(403);
    expect((await s.call("GET", global(alice.userId, "org.example.config"), { token: alice.token })).body).toEqual({ b: 2 });
  });

  test("no token: 401", async () => {
    expect((await s.call("GET", global(alice.userId, "org.example.config"))).status).toBe(401);
  });

  test("a body that is not a JSON object: 400 M_NOT_JSON", async () => {
    const res = await s.call("PUT", global(alice.userId, "org.example.config"), { token: alice.token, rawBody: "[1,2]" });
    expect([res.status, res.body.errcode]).toEqual([400, "M_NOT_JSON"]);
  });

  test("an invalid room id: 400 M_INVALID_PARAM", async () => {
    const res = await s.call("PUT", perRoom(alice.userId, "@notaroom:test.local", "x.y"), { token: alice.token, body: {} });
    expect([res.status, res.body.errcode]).toEqual([400, "M_INVALID_PARAM"]);
  });

  test("m.fully_read and m.push_rules cannot be set here: 405 M_BAD_JSON", async () => {
    for (const path of [perRoom(alice.userId, ROOM, "m.fully_read"), global(alice.userId, "m.fully_read"), global(alice.userId, "m.push_rules")]) {
      const res = await s.call("PUT", path, { token: alice.token, body: { event_id: "$x" } });
      expect([res.status, res.body.errcode]).toEqual([405, "M_BAD_JSON"]);
    }
  });
});

describe("m.ignored_user_list", () => {
  const path = () => global(alice.userId, "m.ignored_user_list");

  test("a valid list is stored", async () => {
    const content = { ignored_users: { "@spam:elsewhere.example": {}, [bob.userId]: {} } };
    expect((await s.call("PUT", path(), { token: alice.token, body: content })).status).toBe(200);
    expect((await s.call("GET", path(), { token: alice.token })).body).toEqual(content);
  });

  test("invalid lists are refused with 400 M_BAD_JSON and leave the old one", async () => {
    const invalid = [{}, { ignored_users: [] }, { ignored_users: { "not-a-user": {} } }, { ignored_users: { "@x:example.org": true } }, { ignored_users: "@x:y" }];
    for (const content of invalid) {
      const res = await s.call("PUT", path(), { token: alice.token, body: content });
      expect([res.status, res.body.errcode]).toEqual([400, "M_BAD_JSON"]);
    }
    expect(Object.keys((await s.call("GET", path(), { token: alice.token })).body.ignored_users)).toHaveLength(2);
  });
});

describe("stream positions, for sync", () => {
  test("every write takes a higher position; the change feed lists a user's changes in order", async () => {
    const repo = createAccountDataRepo(s.db.db);
    const start = await repo.maxPosition();
    await s.call("PUT", global(bob.userId, "org.example.a"), { token: bob.token, body: { n: 1 } });
    await s.call("PUT", perRoom(bob.userId, ROOM, "org.example.b"), { token: bob.token, body: { n: 2 } });
    await s.call("PUT", global(bob.userId, "org.example.a"), { token: bob.token, body: { n: 3 } });
    const end = await repo.maxPosition();
    const changes = await repo.changes(bob.userId, start, end);
    // The first write of org.example.a was overwritten: only its latest position is listed.
    expect(changes.map((c) => [c.roomId, c.type, c.content])).toEqual([
      ["!room:test.local", "org.example.b", { n: 2 }],
      ["", "org.example.a", { n: 3 }],
    ]);
    expect(changes[0]!.streamPosition).toBeLessThan(changes[1]!.streamPosition);
    expect(await repo.changes(bob.userId, end, end)).toEqual([]);
    // The hook sync will use to wake long polls got each position.
    expect(s.hooked.accountData.filter(([user]) => user === bob.userId).map(([, position]) => position).slice(-1)).toEqual([end]);
  });
});

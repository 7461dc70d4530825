// POST /user_directory/search: who can be found, matching, ranking, limits, the
// user_directory config section and the refusals.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { roomsTestServer, type RoomsTestServer, type Session } from "../helpers/rooms.ts";
import { passwordAuth } from "../helpers/user-data.ts";

const v3 = "/_matrix/client/v3";
const enc = encodeURIComponent;

/** Users: alice shares a private room with bob and erin; carol sits alone in a public room; dave
 * and frank share a private room; gina is alone in a private world-readable room; henry is in no room. */
async function populate(server: RoomsTestServer) {
  const [alice, bob, bobcat, carol, dave, erin, frank, gina, henry] = await Promise.all(
    ["alice", "bob", "bobcat", "carol", "dave", "erin", "frank", "gina", "henry"].map((name) => server.register(name)),
  );
  const setProfile = (user: Session, field: string, value: string) =>
    server.ok("PUT", `${v3}/profile/${enc(user.userId)}/${field}`, { token: user.token, body: { [field]: value } });
  await setProfile(bob!, "displayname", "Bobby Tables");
  await setProfile(bob!, "avatar_url", "mxc://test.local/bobby");
  await setProfile(carol!, "displayname", "Carol Zwölf");
  await setProfile(erin!, "displayname", "Erin Tables");
  const shared = await server.createRoom(alice!, { preset: "private_chat" });
  for (const user of [bob!, bobcat!, erin!]) {
    expect((await server.invite(alice!, shared, user.userId)).status).toBe(200);
    expect((await server.join(user, shared)).status).toBe(200);
  }
  await server.createRoom(carol!, { preset: "public_chat" });
  const hidden = await server.createRoom(dave!, { preset: "private_chat" });
  expect((await server.invite(dave!, hidden, frank!.userId)).status).toBe(200);
  expect((await server.join(frank!, hidden)).status).toBe(200);
  await server.createRoom(gina!, { preset: "private_chat", initial_state: [{ type: "m.room.history_visibility", state_key: "", content: { history_visibility: "world_readable" } }] });
  const deactivated = await server.call("POST", `${v3}/account/deactivate`, { token: erin!.token, body: { auth: passwordAuth(erin!.userId, "correct horse") } });
  expect(deactivated.status).toBe(200);
  return { alice: alice!, bob: bob!, bobcat: bobcat!, carol: carol!, dave: dave!, frank: frank!, gina: gina!, henry: henry! };
}

function directory(server: RoomsTestServer, user: Session, body: Record<string, unknown>) {
  return server.call("POST", `${v3}/user_directory/search`, { token: user.token, body });
}
async function found(server: RoomsTestServer, user: Session, term: string, limit?: number): Promise<string[]> {
  const res = await directory(server, user, { search_term: term, ...(limit === undefined ? {} : { limit }) });
  if (res.status !== 200) throw new Error(`${res.status} ${JSON.stringify(res.body)}`);
  return res.body.results.map((r: any) => r.user_id);
}

describe("default: users sharing a room, or in public or world-readable rooms", () => {
  let server: RoomsTestServer;
  let users: Awaited<ReturnType<typeof populate>>;
  beforeAll(async () => {
    server = await roomsTestServer({ ALLOW_GUEST_ACCESS: "true" });
    users = await populate(server);
  });
  afterAll(() => server.close());

  test("finds a room-mate by localpart and by a display name word, with the profile", async () => {
    const res = await directory(server, users.alice, { search_term: "tab" });
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ results: [{ user_id: users.bob.userId, display_name: "Bobby Tables", avatar_url: "mxc://test.local/bobby" }], limited: false });
    expect(await found(server, users.alice, "BOBBY")).toEqual([users.bob.userId]);
    expect(await found(server, users.alice, "bobby tab")).toEqual([users.bob.userId]);
  });

  test("words match at the start of words only, and all words must match", async () => {
    expect(await found(server, users.alice, "obby")).toEqual([]);
    expect(await found(server, users.alice, "bobby carol")).toEqual([]);
  });

  test("an exact localpart ranks first; users without a profile come after", async () => {
    expect(await found(server, users.alice, "bob")).toEqual([users.bob.userId, users.bobcat.userId]);
    expect(await found(server, users.alice, "bobcat")).toEqual([users.bobcat.userId]);
  });

  test("members of public and world-readable rooms are found by anyone; others are not", async () => {
    expect(await found(server, users.alice, "carol")).toEqual([users.carol.userId]);
    expect(await found(server, users.alice, "zwölf")).toEqual([users.carol.userId]);
    expect(await found(server, users.alice, "gina")).toEqual([users.gina.userId]);
    expect(await found(server, users.alice, "dave")).toEqual([]);
    expect(await found(server, users.alice, "henry")).toEqual([]);
    expect(await found(server, users.frank, "dave")).toEqual([users.dave.userId]);
  });

  test("a full user id finds the user; the searcher and deactivated users are left out", async () => {
    expect(await found(server, users.alice, users.carol.userId)).toEqual([users.carol.userId]);
    expect(await found(server, users.alice, "alice")).toEqual([]);
    expect(await found(server, users.alice, "erin")).toEqual([]);
    expect(await found(server, users.alice, "tables")).toEqual([users.bob.userId]);
  });

  test("limit cuts the list and says so", async () => {
    const res = await directory(server, users.alice, { search_term: "b", limit: 1 });
    expect(res.body).toEqual({ results: [expect.objectContaining({ user_id: users.bob.userId })], limited: true });
    expect((await directory(server, users.alice, { search_term: "b", limit: 2 })).body.limited).toBe(false);
    expect((await directory(server, users.alice, { search_term: "b", limit: 0 })).body).toEqual({ results: [], limited: true });
  });

  test("a term without letters or digits finds nobody", async () => {
    expect((await directory(server, users.alice, { search_term: " @:. " })).body).toEqual({ results: [], limited: false });
  });

  test("refusals: no search_term, a bad limit, no token, a guest", async () => {
    for (const body of [{}, { search_term: 3 }, { search_term: "b", limit: "ten" }, { search_term: "b", limit: -1 }, { search_term: "b", limit: 1.5 }]) {
      const res = await directory(server, users.alice, body);
      expect(res.status, JSON.stringify(body)).toBe(400);
      expect(res.body.errcode).toBe("M_BAD_JSON");
    }
    const anonymous = await server.call("POST", `${v3}/user_directory/search`, { body: { search_term: "b" } });
    expect([anonymous.status, anonymous.body.errcode]).toEqual([401, "M_MISSING_TOKEN"]);
    const guest = await directory(server, await server.registerGuest(), { search_term: "b" });
    expect([guest.status, guest.body.errcode]).toEqual([403, "M_GUEST_ACCESS_FORBIDDEN"]);
  });
});

describe("user_directory config", () => {
  test("search_all_users finds every local user except deactivated ones and guests", async () => {
    const server = await roomsTestServer({ USER_DIRECTORY__SEARCH_ALL_USERS: "true", ALLOW_GUEST_ACCESS: "true" });
    try {
      const users = await populate(server);
      const guest = await server.registerGuest();
      expect(await found(server, users.alice, "dave")).toEqual([users.dave.userId]);
      expect(await found(server, users.alice, "henry")).toEqual([users.henry.userId]);
      expect(await found(server, users.alice, "erin")).toEqual([]);
      expect(await found(server, users.alice, guest.userId)).toEqual([]);
    } finally {
      await server.close();
    }
  });

  test("enabled: false answers every search with nothing", async () => {
    const server = await roomsTestServer({ USER_DIRECTORY__ENABLED: "false" });
    try {
      const [alice, bob] = [await server.register("alice"), await server.register("bob")];
      await server.createRoom(bob, { preset: "public_chat" });
      expect((await directory(server, alice, { search_term: "bob" })).body).toEqual({ results: [], limited: false });
    } finally {
      await server.close();
    }
  });
});

// Application services' users and namespaces: registration and login with m.login.application_service,
// M_EXCLUSIVE for everyone else's registrations and aliases in an exclusive namespace.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { roomsTestServer, type RoomsTestServer, type Session } from "../helpers/rooms.ts";

const v3 = "/_matrix/client/v3";
const enc = encodeURIComponent;
let server: RoomsTestServer;
let alice: Session;

beforeAll(async () => {
  const folder = mkdtempSync(join(tmpdir(), "myelin-as-"));
  const file = (name: string, text: string) => (writeFileSync(join(folder, name), text), join(folder, name));
  const files = [
    file("irc.yaml", [
      "id: irc", "url: null", "as_token: irc_as", "hs_token: irc_hs", "sender_localpart: irc-bot",
      "namespaces:",
      "  users: [{ exclusive: true, regex: '@irc-.*' }, { exclusive: false, regex: '@shared-.*' }]",
      "  aliases: [{ exclusive: true, regex: '#irc-.*:test\\.local' }]",
    ].join("\n")),
    file("other.yaml", "id: other\nurl: null\nas_token: other_as\nhs_token: other_hs\nsender_localpart: other-bot\nnamespaces:\n  users: [{ exclusive: true, regex: '@other-.*' }]\n"),
  ];
  server = await roomsTestServer({ APP_SERVICE_CONFIG_FILES: JSON.stringify(files) });
  alice = await server.register("alice");
});
afterAll(() => server.close());

const asRegister = (token: string | undefined, body: Record<string, unknown>) =>
  server.call("POST", `${v3}/register`, { token, body: { type: "m.login.application_service", ...body } });
const whoami = async (token: string) => (await server.ok("GET", `${v3}/account/whoami`, { token })).user_id;

describe("POST /register with m.login.application_service", () => {
  test("registers a user of the AS's namespace without UIA or password, honouring inhibit_login", async () => {
    const inhibited = await asRegister("irc_as", { username: "irc-alice", inhibit_login: true });
    expect(inhibited).toEqual({ status: 200, body: { user_id: "@irc-alice:test.local", home_server: "test.local" } });
    const withLogin = await asRegister("irc_as", { username: "shared-bob" });
    expect(withLogin.status).toBe(200);
    expect(await whoami(withLogin.body.access_token)).toBe("@shared-bob:test.local");
    const again = await asRegister("irc_as", { username: "irc-alice" });
    expect(again).toMatchObject({ status: 400, body: { errcode: "M_USER_IN_USE" } });
  });

  test("outside its namespaces, or in another AS's exclusive one, is 400 M_EXCLUSIVE", async () => {
    for (const username of ["carol", "other-dave"]) {
      expect(await asRegister("irc_as", { username })).toMatchObject({ status: 400, body: { errcode: "M_EXCLUSIVE" } });
    }
  });

  test("no token is 401 M_MISSING_TOKEN, a user's or unknown token 401 M_UNKNOWN_TOKEN; bad usernames 400", async () => {
    expect(await asRegister(undefined, { username: "irc-x" })).toMatchObject({ status: 401, body: { errcode: "M_MISSING_TOKEN" } });
    expect(await asRegister(alice.token, { username: "irc-x" })).toMatchObject({ status: 401, body: { errcode: "M_UNKNOWN_TOKEN" } });
    expect(await asRegister("irc_as", {})).toMatchObject({ status: 400, body: { errcode: "M_MISSING_PARAM" } });
    expect(await asRegister("irc_as", { username: "irc:x" })).toMatchObject({ status: 400, body: { errcode: "M_INVALID_USERNAME" } });
    const guest = await server.call("POST", `${v3}/register?kind=guest`, { token: "irc_as", body: { type: "m.login.application_service", username: "irc-g" } });
    expect(guest.status).toBe(400);
  });

  test("a normal registration in an exclusive namespace is 400 M_EXCLUSIVE, also for /register/available", async () => {
    const res = await server.call("POST", `${v3}/register`, { body: { username: "irc-mallory", password: "pw", auth: { type: "m.login.dummy" } } });
    expect(res).toMatchObject({ status: 400, body: { errcode: "M_EXCLUSIVE" } });
    expect(await server.call("GET", `${v3}/register/available?username=irc-mallory`)).toMatchObject({ status: 400, body: { errcode: "M_EXCLUSIVE" } });
    // Non-exclusive namespaces stay open to everyone.
    expect(await server.call("GET", `${v3}/register/available?username=shared-eve`)).toEqual({ status: 200, body: { available: true } });
    expect((await server.register("shared-eve")).userId).toBe("@shared-eve:test.local");
  });
});

describe("POST /login with m.login.application_service", () => {
  const asLogin = (token: string | undefined, user: string) =>
    server.call("POST", `${v3}/login`, { token, body: { type: "m.login.application_service", identifier: { type: "m.id.user", user } } });

  test("is advertised and logs the AS in as a user of its namespace", async () => {
    const flows = (await server.ok("GET", `${v3}/login`)).flows.map((flow: { type: string }) => flow.type);
    expect(flows).toContain("m.login.application_service");
    const res = await asLogin("irc_as", "@irc-alice:test.local");
    expect(res.status).toBe(200);
    expect(res.body.user_id).toBe("@irc-alice:test.local");
    expect(await whoami(res.body.access_token)).toBe("@irc-alice:test.local");
  });

  test("users outside its namespaces are 403 M_EXCLUSIVE; unknown users 403; a missing token 401", async () => {
    expect(await asLogin("irc_as", "alice")).toMatchObject({ status: 403, body: { errcode: "M_EXCLUSIVE" } });
    expect(await asLogin("irc_as", "@irc-alice:elsewhere.org")).toMatchObject({ status: 403, body: { errcode: "M_EXCLUSIVE" } });
    expect(await asLogin("irc_as", "irc-nobody")).toMatchObject({ status: 403, body: { errcode: "M_FORBIDDEN" } });
    expect(await asLogin(undefined, "irc-alice")).toMatchObject({ status: 401, body: { errcode: "M_MISSING_TOKEN" } });
    expect(await asLogin("wrong", "irc-alice")).toMatchObject({ status: 401, body: { errcode: "M_UNKNOWN_TOKEN" } });
  });
});

describe("exclusive alias namespaces", () => {
  test("other users get 400 M_EXCLUSIVE from PUT /directory/room and createRoom; the AS may create them", async () => {
    const room = await server.createRoom(alice, { preset: "public_chat" });
    const put = (alias: string, token: string, roomId = room) =>
      server.call("PUT", `${v3}/directory/room/${enc(alias)}`, { token, body: { room_id: roomId } });
    expect(await put("#irc-chan:test.local", alice.token)).toMatchObject({ status: 400, body: { errcode: "M_EXCLUSIVE" } });
    expect((await put("#plain:test.local", alice.token)).status).toBe(200);
    const create = await server.call("POST", `${v3}/createRoom`, { token: alice.token, body: { room_alias_name: "irc-new" } });
    expect(create).toMatchObject({ status: 400, body: { errcode: "M_EXCLUSIVE" } });
    expect((await server.call("GET", `${v3}/directory/room/${enc("#irc-new:test.local")}`)).status).toBe(404);

    // The AS's sender and the users it acts as are the AS.
    await server.ok("POST", `${v3}/join/${enc(room)}`, { token: "irc_as", body: {} });
    expect((await put("#irc-chan:test.local", "irc_as")).status).toBe(200);
    const asUser = `?user_id=${enc("@irc-alice:test.local")}`;
    const created = await server.call("POST", `${v3}/createRoom${asUser}`, { token: "irc_as", body: { room_alias_name: "irc-new" } });
    expect(created.status).toBe(200);
    expect((await server.ok("GET", `${v3}/directory/room/${enc("#irc-new:test.local")}`)).room_id).toBe(created.body.room_id);
  });
});

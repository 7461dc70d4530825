// Application services on the client API: as_token auth, identity assertion (user_id, device_id),
// rate-limit exemption, timestamp massaging and the ping, with registration files in a temp folder.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Server } from "bun";
import { createAppServiceClient, pingAppService } from "../../src/auth/appservice-client.ts";
import { roomsTestServer, type RoomsTestServer, type Session } from "../helpers/rooms.ts";

const v3 = "/_matrix/client/v3";
const enc = encodeURIComponent;
let server: RoomsTestServer;
let alice: Session;
/** The fake AS's behaviour for the next /_matrix/app/v1/ping, and what it received. */
const fakeAs = { mode: "ok" as "ok" | "error" | "hang", received: [] as { auth: string | null; body: unknown }[] };
let asServer: Server<undefined>;
let closedPort: number;

beforeAll(async () => {
  asServer = Bun.serve({
    port: 0,
    hostname: "127.0.0.1",
    async fetch(request) {
      if (new URL(request.url).pathname !== "/_matrix/app/v1/ping") return new Response("{}", { status: 404 });
      fakeAs.received.push({ auth: request.headers.get("authorization"), body: await request.json() });
      if (fakeAs.mode === "hang") await Bun.sleep(2_000);
      if (fakeAs.mode === "error") return Response.json({ errcode: "M_FORBIDDEN" }, { status: 403 });
      return Response.json({});
    },
  });
  const closed = Bun.serve({ port: 0, hostname: "127.0.0.1", fetch: () => new Response("") });
  closedPort = closed.port!;
  closed.stop(true);
  const folder = mkdtempSync(join(tmpdir(), "myelin-as-"));
  const file = (name: string, text: string) => (writeFileSync(join(folder, name), text), join(folder, name));
  const files = [
    file("bridge.yaml", `id: bridge\nurl: http://127.0.0.1:${asServer.port}/\nas_token: bridge_as\nhs_token: bridge_hs\nsender_localpart: _bridge_bot\nrate_limited: false\nnamespaces:\n  users: [{ exclusive: true, regex: "@_bridge_.*:test\\\\.local" }]\n`),
    file("limited.yaml", `id: limited\nurl: http://127.0.0.1:${closedPort}\nas_token: limited_as\nhs_token: limited_hs\nsender_localpart: limited_bot\nnamespaces:\n  users: [{ exclusive: false, regex: "@lim_.*" }]\n`),
    file("quiet.yaml", `id: quiet\nurl: null\nas_token: quiet_as\nhs_token: quiet_hs\nsender_localpart: quiet_bot\nnamespaces: {}\n`),
  ];
  server = await roomsTestServer({
    APP_SERVICE_CONFIG_FILES: JSON.stringify(files),
    // Rate limits apply to these loopback calls, with a small rc_message budget.
    RC_EXEMPT_LOOPBACK: "false", RC_MESSAGE__PER_SECOND: "0.001", RC_MESSAGE__BURST_COUNT: "3",
    RC_REGISTRATION__BURST_COUNT: "1000", RC_REGISTRATION__PER_SECOND: "1",
  });
  alice = await server.register("alice");
  for (const [token, username] of [["bridge_as", "_bridge_one"], ["limited_as", "lim_one"]]) {
    await server.ok("POST", `${v3}/register`, { token, body: { type: "m.login.application_service", username, inhibit_login: true } });
  }
});
afterAll(async () => {
  await server.close();
  asServer.stop(true);
});

const whoami = (token: string, query = "") => server.call("GET", `${v3}/account/whoami${query}`, { token });

describe("as_token authentication and identity assertion", () => {
  test("the AS acts as its sender, which exists from the start", async () => {
    expect(await whoami("bridge_as")).toEqual({ status: 200, body: { user_id: "@_bridge_bot:test.local", is_guest: false } });
    expect((await whoami("quiet_as")).body.user_id).toBe("@quiet_bot:test.local");
  });

  test("user_id: a registered user of its namespace; others are 403", async () => {
    expect((await whoami("bridge_as", `?user_id=${enc("@_bridge_one:test.local")}`)).body.user_id).toBe("@_bridge_one:test.local");
    for (const userId of ["@alice:test.local", "@lim_one:test.local", "@_bridge_one:elsewhere.org", "@_bridge_nobody:test.local"]) {
      const res = await whoami("bridge_as", `?user_id=${enc(userId)}`);
      expect(res.status).toBe(403);
      expect(res.body.errcode).toBe("M_FORBIDDEN");
    }
    // A user's own token ignores user_id.
    expect((await whoami(alice.token, `?user_id=${enc("@_bridge_one:test.local")}`)).body.user_id).toBe(alice.userId);
  });

  test("device_id: a device of the user, else 400 M_UNKNOWN_DEVICE", async () => {
    const login = await server.ok("POST", `${v3}/login`, {
      token: "bridge_as", body: { type: "m.login.application_service", identifier: { type: "m.id.user", user: "_bridge_one" } },
    });
    const asUser = `?user_id=${enc("@_bridge_one:test.local")}`;
    expect((await whoami("bridge_as", `${asUser}&device_id=${login.device_id}`)).body).toEqual({ user_id: "@_bridge_one:test.local", device_id: login.device_id, is_guest: false });
    const unknown = await whoami("bridge_as", `${asUser}&device_id=NOPE`);
    expect(unknown.status).toBe(400);
    expect(unknown.body.errcode).toBe("M_UNKNOWN_DEVICE");
  });

  test("an unknown token is still 401 M_UNKNOWN_TOKEN; logout leaves the as_token valid", async () => {
    expect((await whoami("nobody_as")).body.errcode).toBe("M_UNKNOWN_TOKEN");
    expect(await server.call("POST", `${v3}/logout`, { token: "quiet_as", body: {} })).toEqual({ status: 200, body: {} });
    expect((await whoami("quiet_as")).status).toBe(200);
  });
});

describe("rate limits", () => {
  test("rate_limited: false exempts the AS's users; otherwise only the sender is exempt", async () => {
    const sendAs = async (token: string, userId: string | null, roomId: string, n: number) => {
      const statuses: number[] = [];
      for (let i = 0; i < n; i++) {
        const query = userId ? `?user_id=${enc(userId)}` : "";
        statuses.push((await server.call("PUT", `${v3}/rooms/${enc(roomId)}/send/m.room.message/rl${Math.random()}${query}`, { token, body: { body: "x" } })).status);
      }
      return statuses;
    };
    const room = await server.createRoom(alice, { preset: "public_chat" });
    for (const [token, userId] of [["bridge_as", "@_bridge_one:test.local"], ["limited_as", "@lim_one:test.local"], ["limited_as", null]] as const) {
      const query = userId ? `?user_id=${enc(userId)}` : "";
      await server.ok("POST", `${v3}/join/${enc(room)}${query}`, { token, body: {} });
    }
    expect(await sendAs("bridge_as", "@_bridge_one:test.local", room, 5)).toEqual([200, 200, 200, 200, 200]);
    expect(await sendAs("limited_as", null, room, 5)).toEqual([200, 200, 200, 200, 200]);
    expect(await sendAs("limited_as", "@lim_one:test.local", room, 5)).toEqual([200, 200, 200, 429, 429]);
  });
});

describe("timestamp massaging", () => {
  test("an AS's ts becomes origin_server_ts of sent and state events; others' ts is ignored", async () => {
    const room = (await server.ok("POST", `${v3}/createRoom`, { token: "bridge_as", body: { preset: "public_chat" } })).room_id;
    expect((await server.join(alice, room)).status).toBe(200);
    const sent = await server.ok("PUT", `${v3}/rooms/${enc(room)}/send/m.room.message/ts1?ts=1234567`, { token: "bridge_as", body: { body: "old" } });
    const state = await server.ok("PUT", `${v3}/rooms/${enc(room)}/state/org.example.s/k?ts=7654321`, { token: "bridge_as", body: { x: 1 } });
    const mine = await server.ok("PUT", `${v3}/rooms/${enc(room)}/send/m.room.message/ts2?ts=42`, { token: alice.token, body: { body: "now" } });
    const ts = async (eventId: string) => (await server.ok("GET", `${v3}/rooms/${enc(room)}/event/${enc(eventId)}`, { token: alice.token })).origin_server_ts;
    expect(await ts(sent.event_id)).toBe(1234567);
    expect(await ts(state.event_id)).toBe(7654321);
    expect(await ts(mine.event_id)).toBeGreaterThan(1_000_000_000_000);
    for (const bad of ["-5", "1.5", "soon", "99999999999999999"]) {
      const res = await server.call("PUT", `${v3}/rooms/${enc(room)}/send/m.room.message/bad${bad}?ts=${enc(bad)}`, { token: "bridge_as", body: { body: "x" } });
      expect(res.status).toBe(400);
      expect(res.body.errcode).toBe("M_INVALID_PARAM");
    }
  });
});

describe("POST /appservice/{appserviceId}/ping", () => {
  const ping = (id: string, token: string, body: unknown = { transaction_id: "meow" }) =>
    server.call("POST", `/_matrix/client/v1/appservice/${enc(id)}/ping`, { token, body });

  test("calls the AS's /ping with its hs_token and answers duration_ms", async () => {
    fakeAs.mode = "ok";
    fakeAs.received.length = 0;
    const res = await ping("bridge", "bridge_as");
    expect(res.status).toBe(200);
    expect(Object.keys(res.body)).toEqual(["duration_ms"]);
    expect(res.body.duration_ms).toBeGreaterThanOrEqual(0);
    expect(fakeAs.received).toEqual([{ auth: "Bearer bridge_hs", body: { transaction_id: "meow" } }]);
  });

  test("the AS's error status is 502 M_BAD_STATUS with its status and body", async () => {
    fakeAs.mode = "error";
    const res = await ping("bridge", "bridge_as", {});
    expect(res.status).toBe(502);
    expect(res.body).toMatchObject({ errcode: "M_BAD_STATUS", status: 403 });
    expect(JSON.parse(res.body.body)).toEqual({ errcode: "M_FORBIDDEN" });
  });

  test("an AS that is down is 502 M_CONNECTION_FAILED; one without url 400 M_URL_NOT_SET", async () => {
    expect((await ping("limited", "limited_as")).body.errcode).toBe("M_CONNECTION_FAILED");
    expect((await ping("limited", "limited_as")).status).toBe(502);
    expect(await ping("quiet", "quiet_as")).toMatchObject({ status: 400, body: { errcode: "M_URL_NOT_SET" } });
  });

  test("another AS's id, an unknown id or a user's token is 403; no token 401", async () => {
    expect(await ping("bridge", "limited_as")).toMatchObject({ status: 403, body: { errcode: "M_FORBIDDEN" } });
    expect(await ping("nonexistent", "bridge_as")).toMatchObject({ status: 403, body: { errcode: "M_FORBIDDEN" } });
    expect(await ping("bridge", alice.token)).toMatchObject({ status: 403, body: { errcode: "M_FORBIDDEN" } });
    const none = await server.call("POST", "/_matrix/client/v1/appservice/bridge/ping", { body: {} });
    expect(none).toMatchObject({ status: 401, body: { errcode: "M_MISSING_TOKEN" } });
  });

  test("an AS that does not answer in time is 504 M_CONNECTION_TIMEOUT", async () => {
    fakeAs.mode = "hang";
    const registration = server.services.appServices!.byId("bridge")!;
    const error = await pingAppService(createAppServiceClient(), registration, "t", { timeoutMs: 100 }).catch((e) => e);
    expect({ status: error.status, errcode: error.errcode }).toEqual({ status: 504, errcode: "M_CONNECTION_TIMEOUT" });
  });
});

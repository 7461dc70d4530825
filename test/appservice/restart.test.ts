// A restart resumes each application service's stream where it stopped: the pending
// transaction is resent with its id and body, then the events sent while the stream was
// stopped are read back from the events table; nothing is lost or repeated.
import { afterAll, beforeAll, expect, test } from "bun:test";
import { createApp } from "../../src/app.ts";
import { generateSigningKey } from "../../src/auth/signing-key.ts";
import { createHomeserver, type Homeserver } from "../../src/main.ts";
import { nativeEd25519 } from "../../src/protocol/ed25519.ts";
import { roomsTestServer, type RoomsTestServer } from "../helpers/rooms.ts";
import { jsonCaller } from "../helpers/user-data.ts";
import { registrationFiles, startFakeAs, until, type FakeAs } from "./fake-as.ts";

const v3 = "/_matrix/client/v3";
const enc = encodeURIComponent;
let server: RoomsTestServer;
let fakeAs: FakeAs;
let second: Homeserver | undefined;

beforeAll(async () => {
  fakeAs = startFakeAs();
  const files = registrationFiles({
    "bridge.yaml": `id: bridge\nurl: ${fakeAs.url}\nas_token: bridge_as\nhs_token: bridge_hs\nsender_localpart: _br_bot\nnamespaces:\n  users: [{ exclusive: true, regex: "@_br_.*:test\\\\.local" }]\n`,
  });
  server = await roomsTestServer({ APP_SERVICE_CONFIG_FILES: files });
  Object.assign(server.services.appServicePush!.retry, { initialMs: 30, maxMs: 120 });
});
afterAll(async () => {
  await second?.stop();
  await server.close();
  fakeAs.stop();
});

test("after a restart the pending transaction is resent as is, then the events sent meanwhile", async () => {
  const alice = await server.register("alice");
  const roomId = await server.createRoom(alice, { preset: "public_chat" });
  await server.ok("POST", `${v3}/register`, { token: "bridge_as", body: { type: "m.login.application_service", username: "_br_ghost" } });
  await server.ok("POST", `${v3}/join/${enc(roomId)}?user_id=${enc("@_br_ghost:test.local")}`, { token: "bridge_as", body: {} });
  await until(() => fakeAs.eventIds(roomId).length === 1, 5_000, "the join");

  fakeAs.state.mode = "down";
  const sent = [await server.sendText(alice, roomId, "before the restart")];
  await until(() => fakeAs.state.attempts.length >= 3, 5_000, "failed attempts");
  const pending = fakeAs.state.attempts.at(-1)!;
  // The old process's stream stops; events keep coming (another process, the table has them).
  await server.services.appServicePush!.close();
  for (let i = 0; i < 3; i++) sent.push(await server.sendText(alice, roomId, `while stopped ${i}`));
  const failedSoFar = fakeAs.state.attempts.length;
  expect(fakeAs.state.attempts.slice(failedSoFar - 1).every((a) => a.txnId === pending.txnId)).toBe(true);

  second = await createHomeserver({
    db: server.db.db, config: server.config, log: server.services.log, engine: server.engine, signingKey: generateSigningKey(nativeEd25519),
    rateLimiter: server.services.rateLimiter, lastSeenIntervalMs: null,
  });
  Object.assign(second.services.appServicePush!.retry, { initialMs: 30, maxMs: 120 });
  fakeAs.state.mode = "up";
  await until(() => sent.every((id) => fakeAs.eventIds(roomId).includes(id)), 5_000, "every message");
  // The first attempt after the restart is the pending transaction, unchanged.
  const resent = fakeAs.state.attempts[failedSoFar]!;
  expect(resent.txnId).toBe(pending.txnId);
  expect(resent.body).toEqual(pending.body);
  // Once each, in order; later transactions have later ids.
  expect(fakeAs.eventIds(roomId).slice(1)).toEqual(sent);
  const ids = fakeAs.processed().map((a) => Number(a.txnId));
  expect(ids).toEqual([...new Set(ids)].sort((a, b) => a - b));

  // And the new process carries on live.
  const call = jsonCaller(createApp(second.services, ["client"]));
  const login = await call("POST", `${v3}/login`, { body: { type: "m.login.password", identifier: { type: "m.id.user", user: "alice" }, password: "correct horse" } });
  const res = await call("PUT", `${v3}/rooms/${enc(roomId)}/send/m.room.message/after`, { token: login.body.access_token, body: { msgtype: "m.text", body: "live again" } });
  expect(res.status).toBe(200);
  await until(() => fakeAs.eventIds(roomId).includes(res.body.event_id), 5_000, "the live message");
  expect(fakeAs.eventIds(roomId)).toHaveLength(sent.length + 2);
});

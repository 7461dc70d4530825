// Server ACL matching and its application to a room's current state.
import { afterAll, beforeAll, expect, test } from "bun:test";
import { aclAllows, createServerAcls } from "../../src/rooms/server-acl.ts";
import { roomsTestServer, type RoomsTestServer } from "../helpers/rooms.ts";

test("deny wins over allow, globs are case-insensitive, ports are ignored, IP literals follow allow_ip_literals", () => {
  const acl = { allow: ["*"], deny: ["*.evil.example", "bad?.org"], allow_ip_literals: false };
  expect(aclAllows(acl, "matrix.org")).toBe(true);
  expect(aclAllows(acl, "Spam.EVIL.example")).toBe(false);
  expect(aclAllows(acl, "bad1.org:8448")).toBe(false);
  expect(aclAllows(acl, "bad12.org")).toBe(true);
  expect(aclAllows(acl, "1.2.3.4")).toBe(false);
  expect(aclAllows(acl, "[::1]:8448")).toBe(false);
  expect(aclAllows({ allow: ["*"] }, "1.2.3.4:80")).toBe(true);
  // No allow list: nobody.
  expect(aclAllows({ deny: [] }, "matrix.org")).toBe(false);
  // Non-string entries are ignored, not fatal.
  expect(aclAllows({ allow: [42, "ok.org"] } as never, "ok.org")).toBe(true);
});

let server: RoomsTestServer;
beforeAll(async () => {
  server = await roomsTestServer();
});
afterAll(() => server.close());

test("a room's stored ACL is applied; a room without one allows everyone", async () => {
  const alice = await server.register("acl-alice");
  const roomId = await server.createRoom(alice);
  const acls = createServerAcls({ heads: server.rooms.heads, cache: server.rooms.cache });
  expect(await acls.serverAllowed(roomId, "anything.org")).toBe(true);
  expect((await server.setState(alice, roomId, "m.room.server_acl", "", { allow: ["*"], deny: ["evil.org"] })).status).toBe(200);
  expect(await acls.serverAllowed(roomId, "evil.org")).toBe(false);
  expect(await acls.serverAllowed(roomId, "good.org")).toBe(true);
});

// NUL characters: valid in JSON strings, impossible in PostgreSQL text and jsonb. Myelin refuses
// them in paths (400 M_INVALID_PARAM) and client bodies (400 M_BAD_JSON), never answers 500.
import { afterAll, beforeAll, expect, test } from "bun:test";
import { roomsTestServer, type RoomsTestServer, type Session } from "../helpers/rooms.ts";

let server: RoomsTestServer;
let alice: Session;
let roomId: string;
const enc = encodeURIComponent;

beforeAll(async () => {
  server = await roomsTestServer();
  alice = await server.register("nul-alice");
  roomId = await server.createRoom(alice);
});
afterAll(() => server.close());

test("NUL in a path parameter is refused with 400 M_INVALID_PARAM", async () => {
  for (const path of [`/rooms/!a%00b:test.local/state`, `/rooms/${enc(roomId)}/state/m.room.name/a%00`, `/rooms/${enc(roomId)}/send/m.room.message%00/t1`]) {
    const res = await server.call(path.includes("/send/") ? "PUT" : "GET", `/_matrix/client/v3${path}`, { token: alice.token, body: path.includes("/send/") ? {} : undefined });
    expect(res.status).toBe(400);
    expect(res.body.errcode).toBe("M_INVALID_PARAM");
  }
});

test("NUL in any client body is refused with 400 M_BAD_JSON, and nothing is stored", async () => {
  const bodies: [string, string, unknown][] = [
    ["PUT", `/rooms/${enc(roomId)}/send/m.room.message/nul1`, { msgtype: "m.text", body: "a\u0000b" }],
    ["PUT", `/rooms/${enc(roomId)}/state/m.room.name/`, { name: "x\u0000y" }],
    ["PUT", `/rooms/${enc(roomId)}/send/m.reaction/nul2`, { "m.relates_to": { rel_type: "m.annotation", event_id: "$x", key: "\u0000" } }],
    ["PUT", `/user/${enc(alice.userId)}/account_data/org.example`, { v: "a\u0000" }],
    ["PUT", `/profile/${enc(alice.userId)}/displayname`, { displayname: "a\u0000" }],
    ["POST", `/user/${enc(alice.userId)}/filter`, { event_fields: ["a"], "k\u0000": 1 }],
  ];
  for (const [method, path, body] of bodies) {
    const res = await server.call(method, `/_matrix/client/v3${path}`, { token: alice.token, body });
    expect([path, res.status, res.body.errcode]).toEqual([path, 400, "M_BAD_JSON"]);
  }
  // An escaped backslash followed by "u0000" is text, not NUL.
  const literal = await server.send(alice, roomId, { msgtype: "m.text", body: "\\u0000" });
  expect(literal.status).toBe(200);
  expect((await server.getState(alice, roomId, "m.room.name")).status).toBe(404);
});

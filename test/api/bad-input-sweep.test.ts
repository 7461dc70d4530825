// Every registered client endpoint, called with hostile input: path parameters that are not
// identifiers, bodies of the wrong shape and type, huge numbers, deep nesting, junk query
// strings. Whatever the answer, it is a Matrix error or a success: never 500, never a hang.
// (The brief: bad input of any kind gets the spec's error, never a crash.)
import { afterAll, beforeAll, expect, test } from "bun:test";
import { roomsTestServer, type RoomsTestServer, type Session } from "../helpers/rooms.ts";

let s: RoomsTestServer;
let alice: Session;
let roomId: string;
let eventId: string;

beforeAll(async () => {
  s = await roomsTestServer();
  alice = await s.register("sweeper");
  roomId = await s.createRoom(alice, { name: "sweep" });
  eventId = await s.sendText(alice, roomId, "target");
});
afterAll(() => s.close());

const enc = encodeURIComponent;
/** Values for path parameters: real ones, wrong kinds, odd characters, very long. */
const paramValues = (name: string): string[] => {
  const real: Record<string, string> = { roomId, eventId, userId: alice.userId, roomIdOrAlias: roomId, deviceId: alice.deviceId };
  return [real[name] ?? "m.room.message", "!nope:test.local", "@nobody:test.local", "%25%25", "x".repeat(2000), "..", "$", "🙂"];
};
const bodies: unknown[] = [
  {},
  [],
  "string",
  42,
  null,
  { a: 1e308, b: -1e308, c: 2 ** 70, d: -0.5, e: true },
  { limit: "ten", timeout: -1, from: {}, to: [], user_id: 5, room_id: null, body: { deep: [1, [2, [3]]] } },
  JSON.parse("[".repeat(100) + "]".repeat(100)),
  Object.fromEntries(Array.from({ length: 200 }, (_, i) => [`k${i}`, { v: i }])),
];
const queries = ["", "?limit=-5&from=zz&dir=x&timeout=abc&filter=%7B", "?limit=99999999999999999999&ts=1e400&since=s-1_x"];

test("no registered client endpoint answers 500 to hostile input", async () => {
  const routes = s.app.routes.filter((r) => r.path.startsWith("/_matrix/client/v3") || r.path.startsWith("/_matrix/client/v1") || r.path.startsWith("/_matrix/client/v4"));
  expect(routes.length).toBeGreaterThan(100);
  const failures: string[] = [];
  const statuses = new Map<number, number>();
  let calls = 0;
  for (const route of routes) {
    // Skip the endpoints that end the session (logout, deactivate): they would log the sweeper out.
    if (/logout|deactivate|delete_devices|\/devices\/:deviceId$/.test(route.path) && route.method !== "GET") continue;
    const names = [...route.path.matchAll(/:(\w+)/g)].map((m) => m[1]!);
    const variants = names.length === 0 ? [route.path] : paramValues(names[0]!).map((value) => route.path.replace(/:(\w+)/g, (_, name) => enc(name === names[0] ? value : paramValues(name)[0]!)));
    for (const path of variants) {
      for (const query of queries) {
        const sent = route.method === "GET" || route.method === "DELETE" ? [undefined] : bodies;
        for (const body of sent) {
          calls++;
          const res = await s.call(route.method, `${path}${query}`, { token: alice.token, body });
          statuses.set(res.status, (statuses.get(res.status) ?? 0) + 1);
          if (res.status >= 500) failures.push(`${route.method} ${path}${query} ${JSON.stringify(body)?.slice(0, 80)} -> ${res.status} ${JSON.stringify(res.body)}`);
          else if (res.status >= 400) expect(typeof res.body?.errcode).toBe("string");
        }
      }
    }
  }
  expect(calls).toBeGreaterThan(1000);
  // The sweep reaches handlers, not only the router's checks: some calls succeed.
  expect(statuses.get(200) ?? 0).toBeGreaterThan(50);
  if (process.env.SWEEP_STATS) console.log(Object.fromEntries(statuses), calls);
  expect(failures).toEqual([]);
}, 600_000);

// Filters through HTTP: POST /user/{userId}/filter, GET /user/{userId}/filter/{filterId}.
// https://spec.matrix.org/v1.19/client-server-api/#filtering
import { afterAll, beforeAll, expect, test } from "bun:test";
import { userDataTestServer, type Session, type UserDataTestServer } from "../helpers/user-data.ts";

let s: UserDataTestServer;
let alice: Session;
let bob: Session;
const filters = (userId: string, id?: string) => `/_matrix/client/v3/user/${encodeURIComponent(userId)}/filter${id === undefined ? "" : `/${id}`}`;

// The spec's example filter.
const EXAMPLE = {
  room: {
    state: { types: ["m.room.*"], not_rooms: ["!726s6s6q:example.com"] },
    timeline: { limit: 10, types: ["m.room.message"], not_rooms: ["!726s6s6q:example.com"], not_senders: ["@spam:example.com"] },
    ephemeral: { types: ["m.receipt", "m.typing"], not_rooms: ["!726s6s6q:example.com"], not_senders: ["@spam:example.com"] },
  },
  presence: { types: ["m.presence"], not_senders: ["@alice:example.com"] },
  event_format: "client",
  event_fields: ["type", "content", "sender"],
};

beforeAll(async () => {
  s = await userDataTestServer({ ALLOW_GUEST_ACCESS: "true" });
  alice = await s.register("alice");
  bob = await s.register("bob");
});
afterAll(() => s.close());

test("upload and download the spec's example", async () => {
  const created = await s.call("POST", filters(alice.userId), { token: alice.token, body: EXAMPLE });
  expect(created.status).toBe(200);
  expect(created.body.filter_id).toMatch(/^[^{]/);
  expect(await s.call("GET", filters(alice.userId, created.body.filter_id), { token: alice.token })).toEqual({ status: 200, body: EXAMPLE });
  expect((await s.call("GET", `/_matrix/client/r0/user/${alice.userId}/filter/${created.body.filter_id}`, { token: alice.token })).body).toEqual(EXAMPLE);
});

test("an empty filter and unknown keys are accepted", async () => {
  expect((await s.call("POST", filters(alice.userId), { token: alice.token, body: {} })).status).toBe(200);
  const unstable = { room: { timeline: { "org.matrix.msc3773.unread_thread_notifications": true } } };
  expect((await s.call("POST", filters(alice.userId), { token: alice.token, body: unstable })).status).toBe(200);
});

test("filters that break the spec's schema: 400 M_BAD_JSON", async () => {
  const invalid = [
    { event_format: "xml" },
    { room: { timeline: { limit: 0 } } },
    { room: { timeline: { limit: "10" } } },
    { room: { rooms: ["#alias:example.com"] } },
    { presence: { senders: ["alice"] } },
    { event_fields: "type" },
    { room: { include_leave: "yes" } },
    { room: { state: { lazy_load_members: 1 } } },
  ];
  for (const body of invalid) {
    const res = await s.call("POST", filters(alice.userId), { token: alice.token, body });
    expect([res.status, res.body.errcode, JSON.stringify(body)]).toEqual([400, "M_BAD_JSON", JSON.stringify(body)]);
  }
});

test("unknown filter ids: 404 M_NOT_FOUND", async () => {
  for (const id of ["999999", "0", "abc", "{}", "99999999999999999999"]) {
    const res = await s.call("GET", filters(alice.userId, id), { token: alice.token });
    expect([res.status, res.body.errcode]).toEqual([404, "M_NOT_FOUND"]);
  }
});

test("another user's filters: 403 to create or read, and an id is not readable under another user", async () => {
  const created = await s.call("POST", filters(alice.userId), { token: alice.token, body: { room: { include_leave: true } } });
  expect((await s.call("POST", filters(alice.userId), { token: bob.token, body: {} })).status).toBe(403);
  const read = await s.call("GET", filters(alice.userId, created.body.filter_id), { token: bob.token });
  expect([read.status, read.body.errcode]).toEqual([403, "M_FORBIDDEN"]);
  expect((await s.call("GET", filters(bob.userId, created.body.filter_id), { token: bob.token })).status).toBe(404);
});

test("guests may upload filters (they need them for /sync)", async () => {
  const guest = await s.registerGuest();
  expect((await s.call("POST", filters(guest.userId), { token: guest.token, body: {} })).status).toBe(200);
});

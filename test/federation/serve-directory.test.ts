// End to end over HTTPS: Alice on A lists B's published rooms through A; B answers other
// servers' directory and hierarchy requests, and refuses unsigned and bad ones.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { FederationRequestError } from "../../src/federation/transport.ts";
import { federatedHomeserver, type FederatedHomeserver } from "../helpers/federation.ts";

let a: FederatedHomeserver;
let b: FederatedHomeserver;
let alice: { userId: string; token: string };
let bob: { userId: string; token: string };
let hall: string;
let knitting: string;
const v3 = "/_matrix/client/v3";
const UNREACHABLE = "127.0.0.1:1";

const unsignedFetch = (path: string) => fetch(`https://${b.serverName}${path}`, { tls: { rejectUnauthorized: false } } as RequestInit);
async function refusal(request: Parameters<FederatedHomeserver["federation"]["signed"]>[1]) {
  const error = await a.federation.signed(b.serverName, request).then(() => null, (e: unknown) => e as FederationRequestError);
  expect(error).toBeInstanceOf(FederationRequestError);
  return { status: error!.status, errcode: error!.errcode };
}

beforeAll(async () => {
  [a, b] = await Promise.all([federatedHomeserver(), federatedHomeserver()]);
  alice = await a.register("alice");
  bob = await b.register("bob");
  hall = (await b.ok("POST", `${v3}/createRoom`, { visibility: "public", name: "Big hall", topic: "Everyone" }, bob.token)).room_id;
  knitting = (await b.ok("POST", `${v3}/createRoom`, { visibility: "public", name: "Knitting" }, bob.token)).room_id;
  await b.ok("POST", `${v3}/createRoom`, { name: "Private" }, bob.token);
}, 60_000);
afterAll(async () => {
  await a?.stop();
  await b?.stop();
});

describe("public rooms", () => {
  test("Alice lists B's published rooms through A (GET and POST with a filter)", async () => {
    const listed = await a.ok("GET", `${v3}/publicRooms?server=${b.serverName}`);
    expect(listed.chunk.map((room: { room_id: string }) => room.room_id).sort()).toEqual([hall, knitting].sort());
    expect(listed.total_room_count_estimate).toBe(2);
    const hallChunk = listed.chunk.find((room: { room_id: string }) => room.room_id === hall);
    expect(hallChunk).toMatchObject({ name: "Big hall", topic: "Everyone", num_joined_members: 1, world_readable: false, guest_can_join: false, join_rule: "public" });
    const filtered = await a.ok("POST", `${v3}/publicRooms?server=${b.serverName}`, { filter: { generic_search_term: "knit" } }, alice.token);
    expect(filtered.chunk.map((room: { room_id: string }) => room.room_id)).toEqual([knitting]);
  });

  test("pages of B's directory follow B's tokens", async () => {
    const first = await a.ok("GET", `${v3}/publicRooms?server=${b.serverName}&limit=1`);
    expect(first.chunk).toHaveLength(1);
    expect(typeof first.next_batch).toBe("string");
    const second = await a.ok("GET", `${v3}/publicRooms?server=${b.serverName}&limit=1&since=${encodeURIComponent(first.next_batch)}`);
    expect(second.chunk).toHaveLength(1);
    expect(second.chunk[0].room_id).not.toBe(first.chunk[0].room_id);
  });

  test("an unreachable server is 502; a bad server name 400; B's bad token is passed on as a failure", async () => {
    const unreachable = await a.call("GET", `${v3}/publicRooms?server=${UNREACHABLE}`);
    expect([unreachable.status, unreachable.body.errcode]).toEqual([502, "M_UNKNOWN"]);
    expect((await a.call("GET", `${v3}/publicRooms?server=bad%20name`)).status).toBe(400);
    const badToken = await a.call("GET", `${v3}/publicRooms?server=${b.serverName}&since=nonsense`);
    expect(badToken.status).toBe(502);
  });

  test("B answers signed requests; refuses unsigned ones and bad input", async () => {
    const answer = await a.federation.signed<{ chunk: unknown[] }>(b.serverName, { method: "GET", path: "/_matrix/federation/v1/publicRooms", query: { limit: "5" } });
    expect(answer.chunk).toHaveLength(2);
    const unsigned = await unsignedFetch("/_matrix/federation/v1/publicRooms");
    expect(unsigned.status).toBe(401);
    expect(await refusal({ method: "GET", path: "/_matrix/federation/v1/publicRooms", query: { since: "nonsense" } })).toEqual({ status: 400, errcode: "M_INVALID_PARAM" });
    expect(await refusal({ method: "POST", path: "/_matrix/federation/v1/publicRooms", body: { limit: "ten" } })).toMatchObject({ status: 400 });
  });
});

describe("space hierarchy", () => {
  let space: string;
  let secret: string;
  let privateSpace: string;
  const enc = encodeURIComponent;
  const addChild = (parent: string, child: string, content: Record<string, unknown>) =>
    b.ok("PUT", `${v3}/rooms/${enc(parent)}/state/m.space.child/${enc(child)}`, { via: [b.serverName], ...content }, bob.token);
  const hierarchy = (roomId: string, query: Record<string, string> = {}) =>
    a.federation.signed<any>(b.serverName, { method: "GET", path: `/_matrix/federation/v1/hierarchy/${enc(roomId)}`, query });

  beforeAll(async () => {
    space = (await b.ok("POST", `${v3}/createRoom`, { preset: "public_chat", name: "Space", creation_content: { type: "m.space" } }, bob.token)).room_id;
    secret = (await b.ok("POST", `${v3}/createRoom`, { preset: "private_chat", name: "Secret" }, bob.token)).room_id;
    privateSpace = (await b.ok("POST", `${v3}/createRoom`, { preset: "private_chat", creation_content: { type: "m.space" } }, bob.token)).room_id;
    await addChild(space, hall, { suggested: true, order: "a" });
    await addChild(space, knitting, { order: "b" });
    await addChild(space, secret, { order: "c" });
    await addChild(space, "!unknown:elsewhere.example", { order: "d" });
  });

  test("B answers with the space, the children A may see, and those it may not", async () => {
    const answer = await hierarchy(space);
    expect(answer.room).toMatchObject({ room_id: space, name: "Space", room_type: "m.space", join_rule: "public", num_joined_members: 1 });
    expect(answer.room.children_state.map((e: { state_key: string }) => e.state_key)).toEqual([hall, knitting, secret, "!unknown:elsewhere.example"]);
    expect(typeof answer.room.children_state[0].origin_server_ts).toBe("number");
    expect(answer.children.map((room: { room_id: string }) => room.room_id)).toEqual([hall, knitting]);
    expect(answer.children[0]).toMatchObject({ name: "Big hall", join_rule: "public", world_readable: false });
    // The private room is listed as inaccessible; a room B does not know is left out.
    expect(answer.inaccessible_children).toEqual([secret]);
  });

  test("suggested_only keeps the suggested children", async () => {
    const answer = await hierarchy(space, { suggested_only: "true" });
    expect(answer.room.children_state.map((e: { state_key: string }) => e.state_key)).toEqual([hall]);
    expect(answer.children.map((room: { room_id: string }) => room.room_id)).toEqual([hall]);
    expect(answer.inaccessible_children).toEqual([]);
  });

  test("a room A cannot see, an unknown room and unsigned requests are refused", async () => {
    expect(await refusal({ method: "GET", path: `/_matrix/federation/v1/hierarchy/${enc(privateSpace)}` })).toEqual({ status: 404, errcode: "M_NOT_FOUND" });
    expect(await refusal({ method: "GET", path: `/_matrix/federation/v1/hierarchy/${enc(`!nothing:${b.serverName}`)}` })).toEqual({ status: 404, errcode: "M_NOT_FOUND" });
    expect(await refusal({ method: "GET", path: `/_matrix/federation/v1/hierarchy/${enc(space)}`, query: { suggested_only: "maybe" } })).toMatchObject({ status: 400 });
    expect((await unsignedFetch(`/_matrix/federation/v1/hierarchy/${enc(space)}`)).status).toBe(401);
  });
});

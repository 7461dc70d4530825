// matrix-js-sdk as the client of a real `myelin serve`, through a whole room's life: two users
// create a room, invite and join, exchange 200 messages, edit, react, start a thread, redact,
// paginate back to the start, upgrade the room and follow the tombstone. Only the SDK's public
// API talks to the server (no sync yet: issue 6; joins use syncRoom: false).
import { expect, test } from "bun:test";
import { Direction } from "matrix-js-sdk";
import { sdkServer } from "../helpers/sdk-server.ts";

const server = sdkServer("sdk-rooms.test");
const register = (username: string) => server.client(username);

test("two users live through a room: messages, edits, reactions, threads, redactions, history, upgrade", async () => {
  const alice = await register("alice");
  const bob = await register("bob");
  const { room_id: roomId } = await alice.createRoom({ name: "Verona", preset: "private_chat" as never });
  await alice.invite(roomId, bob.getUserId()!);
  await bob.joinRoom(roomId, { syncRoom: false });
  expect((await bob.getJoinedRooms()).joined_rooms).toContain(roomId);

  const sent: string[] = [];
  for (let i = 0; i < 200; i++) {
    const client = i % 2 === 0 ? alice : bob;
    sent.push((await client.sendMessage(roomId, { msgtype: "m.text", body: `line ${i}` } as never)).event_id);
  }

  // Edit, reaction, thread reply, redaction.
  const edit = await alice.sendEvent(roomId, "m.room.message" as never, {
    msgtype: "m.text", body: "* line 0 (edited)",
    "m.new_content": { msgtype: "m.text", body: "line 0 (edited)" },
    "m.relates_to": { rel_type: "m.replace", event_id: sent[0] },
  } as never);
  await bob.sendEvent(roomId, "m.reaction" as never, { "m.relates_to": { rel_type: "m.annotation", event_id: sent[0], key: "👍" } } as never);
  const reply = await bob.sendEvent(roomId, "m.room.message" as never, {
    msgtype: "m.text", body: "in a thread",
    "m.relates_to": { rel_type: "m.thread", event_id: sent[2], is_falling_back: true, "m.in_reply_to": { event_id: sent[2] } },
  } as never);
  await bob.redactEvent(roomId, sent[1]!, undefined, { reason: "typo" });

  // The original carries the edit in its bundled aggregations; the thread root its summary.
  const original = await bob.fetchRoomEvent(roomId, sent[0]!);
  expect((original.unsigned as any)?.["m.relations"]?.["m.replace"]?.event_id).toBe(edit.event_id);
  const root = await alice.fetchRoomEvent(roomId, sent[2]!);
  expect((root.unsigned as any)?.["m.relations"]?.["m.thread"]?.count).toBe(1);
  const relations = await alice.fetchRelations(roomId, sent[0]!, "m.annotation", null);
  expect(relations.chunk.map((e) => e.content?.["m.relates_to"]?.key)).toEqual(["👍"]);
  const thread = await alice.fetchRelations(roomId, sent[2]!, "m.thread", null);
  expect(thread.chunk.map((e) => e.event_id)).toEqual([reply.event_id]);

  // Paginate back to the start: every message exactly once, the redacted one redacted.
  const seen: any[] = [];
  let from: string | null = null;
  for (let pages = 0; pages < 100; pages++) {
    const page = await alice.createMessagesRequest(roomId, from, 30, Direction.Backward);
    seen.push(...page.chunk);
    if (!page.end || page.chunk.length === 0) break;
    from = page.end;
  }
  const messages = seen.filter((e) => e.type === "m.room.message" && e.content?.body?.startsWith?.("line "));
  expect(messages.map((e) => e.event_id).reverse()).toEqual(sent.filter((_, i) => i !== 1));
  const redacted = seen.find((e) => e.event_id === sent[1]);
  expect(redacted.content).toEqual({});
  expect(redacted.unsigned.redacted_because.content.reason).toBe("typo");
  expect(seen.at(-1).type).toBe("m.room.create");

  // Upgrade and follow the tombstone.
  const { replacement_room: newRoomId } = await alice.upgradeRoom(roomId, "12");
  // The new room keeps the invite-only join rule: Alice invites Bob, as Element offers on upgrade.
  await alice.invite(newRoomId, bob.getUserId()!);
  const tombstone = await bob.getStateEvent(roomId, "m.room.tombstone", "");
  expect(tombstone.replacement_room).toBe(newRoomId);
  await bob.joinRoom(tombstone.replacement_room, { syncRoom: false });
  const create = await bob.getStateEvent(newRoomId, "m.room.create", "");
  expect(create.predecessor.room_id).toBe(roomId);
  await bob.sendMessage(newRoomId, { msgtype: "m.text", body: "in the new room" } as never);
  const latest = await alice.createMessagesRequest(newRoomId, null, 1, Direction.Backward);
  expect(latest.chunk[0]?.content?.body).toBe("in the new room");
}, 120_000);

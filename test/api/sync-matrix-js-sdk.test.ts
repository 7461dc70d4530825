// matrix-js-sdk syncing against a real `myelin serve` (src/main.ts wiring included): an invite
// arrives by sync, the join, messages, members, typing, read receipts and unread counts (cleared by a
// receipt, highlights for mentions) show on the other client.
// https://spec.matrix.org/v1.19/client-server-api/#syncing
import { expect, test } from "bun:test";
import { ClientEvent, NotificationCountType, RoomEvent, RoomMemberEvent, type MatrixClient, type MatrixEvent, type Room } from "matrix-js-sdk";
import { sdkServer } from "../helpers/sdk-server.ts";

const server = sdkServer("sdk-sync.test");

async function syncingClient(username: string): Promise<MatrixClient> {
  const client = await server.client(username);
  const prepared = new Promise<void>((resolve) => client.on(ClientEvent.Sync, (state) => state === "PREPARED" && resolve()));
  await client.startClient({ initialSyncLimit: 10, lazyLoadMembers: true });
  await prepared;
  return client;
}

/** Resolves when `check` holds, re-checked on every sync of the client. */
function until(client: MatrixClient, check: () => boolean, what: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`timed out waiting for ${what}`)), 10_000);
    const test = () => {
      if (!check()) return;
      clearTimeout(timer);
      client.off(ClientEvent.Sync, test);
      resolve();
    };
    client.on(ClientEvent.Sync, test);
    test();
  });
}

test("invite, join, messages, members, typing, receipts and unread counts through sync", async () => {
  const [alice, bob] = [await syncingClient("alice"), await syncingClient("bob")];
  const { room_id: roomId } = await alice.createRoom({ name: "Synced" });
  await alice.invite(roomId, bob.getUserId()!);
  await until(bob, () => bob.getRoom(roomId)?.getMyMembership() === "invite", "the invite");
  expect(bob.getRoom(roomId)!.name).toBe("Synced");
  await bob.joinRoom(roomId);
  await until(alice, () => alice.getRoom(roomId)?.getMember(bob.getUserId()!)?.membership === "join", "bob's join");

  const bodies = (room: Room | null) => (room?.getLiveTimeline().getEvents() ?? []).filter((e: MatrixEvent) => e.getType() === "m.room.message").map((e) => e.getContent().body);
  for (let i = 0; i < 5; i++) await alice.sendTextMessage(roomId, `hello ${i}`);
  await until(bob, () => bodies(bob.getRoom(roomId)).length === 5, "alice's messages");
  expect(bodies(bob.getRoom(roomId))).toEqual(["hello 0", "hello 1", "hello 2", "hello 3", "hello 4"]);
  expect(bob.getRoom(roomId)!.getJoinedMemberCount()).toBe(2);
  // Five unread messages for Bob, counted by the server's push rules (the default rule notifies in a two-member room).
  await until(bob, () => bob.getRoom(roomId)!.getUnreadNotificationCount(NotificationCountType.Total) === 5, "bob's unread count");

  const typing = new Promise<void>((resolve) => bob.on(RoomMemberEvent.Typing, (_e, member) => member.userId === alice.getUserId() && member.typing && resolve()));
  await alice.sendTyping(roomId, true, 10_000);
  await typing;

  const last = bob.getRoom(roomId)!.getLiveTimeline().getEvents().at(-1)!;
  const receipt = new Promise<void>((resolve) => alice.on(RoomEvent.Receipt, () => resolve()));
  await bob.sendReadReceipt(last);
  await receipt;
  await until(alice, () => alice.getRoom(roomId)!.getEventReadUpTo(bob.getUserId()!) === last.getId(), "bob's receipt");
  // Bob's receipt clears his count; a mention of him counts as a highlight.
  await until(bob, () => bob.getRoom(roomId)!.getUnreadNotificationCount(NotificationCountType.Total) === 0, "bob's count cleared");
  await alice.sendMessage(roomId, { msgtype: "m.text", body: "bob, look", "m.mentions": { user_ids: [bob.getUserId()!] } } as never);
  await until(bob, () => bob.getRoom(roomId)!.getUnreadNotificationCount(NotificationCountType.Highlight) === 1, "bob's highlight");
});

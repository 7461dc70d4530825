// End-to-end encryption with two matrix-js-sdk clients on its Rust crypto
// (@matrix-org/matrix-sdk-crypto-wasm) against a real `myelin serve`: both bootstrap
// cross-signing, Alice creates an encrypted room, messages are exchanged and decrypted, a new
// device of Bob reads new messages, and Alice's key backup restores old keys on a fresh device.
// https://spec.matrix.org/v1.19/client-server-api/#end-to-end-encryption
import { expect, test } from "bun:test";
import { ClientEvent, type MatrixClient, type MatrixEvent } from "matrix-js-sdk";
import { LoggerLevel, Tracing } from "@matrix-org/matrix-sdk-crypto-wasm";
import { SDK_PASSWORD as PASSWORD, sdkServer } from "../helpers/sdk-server.ts";

const server = sdkServer("sdk-e2ee.test");

/** A client on a device (registered, or logged in again for another device) with Rust crypto, synced. */
async function device(username: string, register: boolean): Promise<MatrixClient> {
  const client = await server.client(username, register ? "register" : "login");
  await client.initRustCrypto({ useIndexedDB: false });
  // initRustCrypto turns the crypto core's debug tracing on; errors are enough here.
  new Tracing(LoggerLevel.Error).turnOn();
  const prepared = new Promise<void>((resolve) => client.on(ClientEvent.Sync, (state) => state === "PREPARED" && resolve()));
  await client.startClient({ initialSyncLimit: 20 });
  await prepared;
  return client;
}

/** Resolves when `check` holds, re-checked on every sync and every decryption. */
async function until(check: () => boolean | Promise<boolean>, what: string, ms = 20_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await Bun.sleep(50);
  }
}

const decryptedBodies = (client: MatrixClient, roomId: string) =>
  (client.getRoom(roomId)?.getLiveTimeline().getEvents() ?? [])
    .filter((e: MatrixEvent) => e.isEncrypted() && !e.isDecryptionFailure())
    .map((e) => e.getContent().body as string | undefined);

const bootstrap = (client: MatrixClient, user: string) =>
  client.getCrypto()!.bootstrapCrossSigning({
    authUploadDeviceSigningKeys: async (makeRequest) => {
      await makeRequest({ type: "m.login.password", identifier: { type: "m.id.user", user }, password: PASSWORD });
    },
  });

test("encrypted room: cross-signing, decryption on every device, a new device, key backup restore", async () => {
  const alice = await device("alice", true);
  const bob = await device("bob", true);
  await bootstrap(alice, "alice");
  await bootstrap(bob, "bob");
  expect(await alice.getCrypto()!.isCrossSigningReady()).toBe(true);
  await until(() => alice.getCrypto()!.userHasCrossSigningKeys(bob.getUserId()!, true), "bob's cross-signing keys seen by alice");

  const { room_id: roomId } = await alice.createRoom({
    invite: [bob.getUserId()!],
    initial_state: [{ type: "m.room.encryption", state_key: "", content: { algorithm: "m.megolm.v1.aes-sha2" } }],
  });
  await until(() => bob.getRoom(roomId)?.getMyMembership() === "invite", "bob's invite");
  await bob.joinRoom(roomId);
  await until(() => alice.getRoom(roomId)?.getMember(bob.getUserId()!)?.membership === "join", "bob's join seen by alice");

  await alice.sendTextMessage(roomId, "first secret");
  await until(() => decryptedBodies(bob, roomId).includes("first secret"), "bob decrypting alice's message");
  await bob.sendTextMessage(roomId, "secret reply");
  await until(() => decryptedBodies(alice, roomId).includes("secret reply"), "alice decrypting bob's reply");
  // The server only ever saw ciphertext.
  const raw = await alice.createMessagesRequest(roomId, null, 10, "b" as never);
  expect(raw.chunk.filter((e) => e.type === "m.room.message")).toEqual([]);

  // A third device: Bob logs in on a laptop; Alice's next message reaches it too.
  const laptop = await device("bob", false);
  await until(() => laptop.getRoom(roomId)?.getMyMembership() === "join", "the laptop's room");
  await until(async () => (await alice.getCrypto()!.getUserDeviceInfo([bob.getUserId()!], true)).get(bob.getUserId()!)?.has(laptop.getDeviceId()!) === true, "alice seeing bob's laptop");
  await alice.sendTextMessage(roomId, "for the laptop too");
  await until(() => decryptedBodies(laptop, roomId).includes("for the laptop too"), "the laptop decrypting");

  // Key backup: Alice backs up, then a fresh device restores and reads the old messages.
  await alice.getCrypto()!.resetKeyBackup();
  const version = (await alice.getCrypto()!.checkKeyBackupAndEnable())!.backupInfo.version!;
  await until(async () => (await alice.getCrypto()!.getActiveSessionBackupVersion()) === version, "the backup in use");
  await until(async () => {
    const keys = await alice.http.authedRequest<{ rooms: Record<string, unknown> }>("GET" as never, "/room_keys/keys", { version });
    return Object.keys(keys.rooms).length > 0;
  }, "keys in the backup");
  const backupKey = (await alice.getCrypto()!.getSessionBackupPrivateKey())!;
  const fresh = await device("alice", false);
  await until(() => fresh.getRoom(roomId)?.getMyMembership() === "join", "the fresh device's room");
  await fresh.getCrypto()!.storeSessionBackupPrivateKey(backupKey, version);
  const restored = await fresh.getCrypto()!.restoreKeyBackup();
  expect(restored.imported).toBeGreaterThan(0);
  await until(() => decryptedBodies(fresh, roomId).includes("first secret"), "the fresh device decrypting history");
}, 120_000);

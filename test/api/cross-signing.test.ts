// Cross-signing through the client API: key uploads (with UIA when replacing), signature
// uploads with per-key failures, what /keys/query returns, and the device list change.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { randomBytes } from "node:crypto";
import { encodeBase64 } from "../../src/protocol/base64.ts";
import { nativeEd25519 as ed } from "../../src/protocol/ed25519.ts";
import { signJson, type JsonObject } from "../../src/protocol/signed-json.ts";
import { roomsTestServer, type RoomsTestServer, type Session } from "../helpers/rooms.ts";
import { passwordAuth } from "../helpers/user-data.ts";

let server: RoomsTestServer;
const v3 = "/_matrix/client/v3";
const PASSWORD = "correct horse";

beforeAll(async () => {
  server = await roomsTestServer();
});
afterAll(() => server.close());

interface Keypair { seed: Uint8Array; pub: string }
const keypair = (): Keypair => {
  const seed = new Uint8Array(randomBytes(32));
  return { seed, pub: encodeBase64(ed.publicKey(seed)) };
};
const sign = <T extends JsonObject>(object: T, userId: string, signer: Keypair, keyName = signer.pub) =>
  signJson(object, userId, { keyId: `ed25519:${keyName}`, seed: signer.seed }, ed);
const crossKey = (userId: string, usage: string, key: Keypair): JsonObject => ({ user_id: userId, usage: [usage], keys: { [`ed25519:${key.pub}`]: key.pub } });

interface Identity { master: Keypair; self: Keypair; user: Keypair; device: Keypair }

/** Uploads device keys for the session's device; returns the device's signing key. */
async function uploadDeviceKeys(session: Session): Promise<Keypair> {
  const device = keypair();
  const deviceKeys = sign(
    { user_id: session.userId, device_id: session.deviceId, algorithms: ["m.olm.v1.curve25519-aes-sha2", "m.megolm.v1.aes-sha2"], keys: { [`ed25519:${session.deviceId}`]: device.pub, [`curve25519:${session.deviceId}`]: "curve" } },
    session.userId, device, session.deviceId,
  );
  await server.ok("POST", `${v3}/keys/upload`, { token: session.token, body: { device_keys: deviceKeys } });
  return device;
}

function signingBody(userId: string, id: Omit<Identity, "device">) {
  return {
    master_key: crossKey(userId, "master", id.master),
    self_signing_key: sign(crossKey(userId, "self_signing", id.self), userId, id.master),
    user_signing_key: sign(crossKey(userId, "user_signing", id.user), userId, id.master),
  };
}

async function bootstrap(session: Session): Promise<Identity> {
  const device = await uploadDeviceKeys(session);
  const id = { master: keypair(), self: keypair(), user: keypair(), device };
  await server.ok("POST", `${v3}/keys/device_signing/upload`, { token: session.token, body: signingBody(session.userId, id) });
  return id;
}

const query = (session: Session, users: string[]) =>
  server.ok("POST", `${v3}/keys/query`, { token: session.token, body: { device_keys: Object.fromEntries(users.map((u) => [u, []])) } });

describe("POST /keys/device_signing/upload", () => {
  test("first upload needs no UIA; keys/query returns master and self-signing keys, user-signing only to its owner", async () => {
    const alice = await server.register("alice");
    const bob = await server.register("bob");
    const id = await bootstrap(alice);
    const own = await query(alice, [alice.userId]);
    expect(own.master_keys[alice.userId].keys).toEqual({ [`ed25519:${id.master.pub}`]: id.master.pub });
    expect(own.self_signing_keys[alice.userId].usage).toEqual(["self_signing"]);
    expect(own.user_signing_keys[alice.userId].keys).toEqual({ [`ed25519:${id.user.pub}`]: id.user.pub });
    const seen = await query(bob, [alice.userId]);
    expect(seen.master_keys[alice.userId]).toEqual(own.master_keys[alice.userId]);
    expect(seen.self_signing_keys[alice.userId]).toBeDefined();
    expect(seen.user_signing_keys[alice.userId]).toBeUndefined();
  });

  test("the same keys again need no UIA; new keys need it, then replace the old ones", async () => {
    const user = await server.register("carol", PASSWORD);
    const id = await bootstrap(user);
    await server.ok("POST", `${v3}/keys/device_signing/upload`, { token: user.token, body: signingBody(user.userId, id) });

    const fresh = { master: keypair(), self: keypair(), user: keypair() };
    const body = signingBody(user.userId, fresh);
    const challenge = await server.call("POST", `${v3}/keys/device_signing/upload`, { token: user.token, body });
    expect(challenge.status).toBe(401);
    expect(challenge.body.flows).toEqual([{ stages: ["m.login.password"] }]);
    const wrong = await server.call("POST", `${v3}/keys/device_signing/upload`, { token: user.token, body: { ...body, auth: passwordAuth(user.userId, "wrong", challenge.body.session) } });
    expect([wrong.status, wrong.body.errcode]).toEqual([401, "M_FORBIDDEN"]);
    expect((await query(user, [user.userId])).master_keys[user.userId].keys).toEqual({ [`ed25519:${id.master.pub}`]: id.master.pub });
    await server.ok("POST", `${v3}/keys/device_signing/upload`, { token: user.token, body: { ...body, auth: passwordAuth(user.userId, PASSWORD, challenge.body.session) } });
    expect((await query(user, [user.userId])).master_keys[user.userId].keys).toEqual({ [`ed25519:${fresh.master.pub}`]: fresh.master.pub });
  });

  test("refusals: unsigned self-signing key, wrong user, wrong usage, bad key, no master key", async () => {
    const user = await server.register("dave");
    const master = keypair();
    const other = keypair();
    const post = (body: unknown) => server.call("POST", `${v3}/keys/device_signing/upload`, { token: user.token, body });

    const unsigned = await post({ master_key: crossKey(user.userId, "master", master), self_signing_key: crossKey(user.userId, "self_signing", other) });
    expect([unsigned.status, unsigned.body.errcode]).toEqual([400, "M_INVALID_SIGNATURE"]);
    const badSig = await post({ master_key: crossKey(user.userId, "master", master), user_signing_key: sign(crossKey(user.userId, "user_signing", other), user.userId, other) });
    expect([badSig.status, badSig.body.errcode]).toEqual([400, "M_INVALID_SIGNATURE"]);
    const wrongUser = await post({ master_key: crossKey("@someone:test.local", "master", master) });
    expect([wrongUser.status, wrongUser.body.errcode]).toEqual([400, "M_INVALID_PARAM"]);
    const wrongUsage = await post({ master_key: crossKey(user.userId, "self_signing", master) });
    expect([wrongUsage.status, wrongUsage.body.errcode]).toEqual([400, "M_INVALID_PARAM"]);
    const badKey = await post({ master_key: { user_id: user.userId, usage: ["master"], keys: { "ed25519:abc": "abc" } } });
    expect([badKey.status, badKey.body.errcode]).toEqual([400, "M_INVALID_PARAM"]);
    const noMaster = await post({ self_signing_key: sign(crossKey(user.userId, "self_signing", other), user.userId, master) });
    expect([noMaster.status, noMaster.body.errcode]).toEqual([400, "M_MISSING_PARAM"]);
    // Nothing was stored by the refused requests.
    expect((await query(user, [user.userId])).master_keys).toEqual({});
  });

  test("an upload is a device list change: /keys/changes names the user", async () => {
    const user = await server.register("erin");
    await uploadDeviceKeys(user);
    const before = (await server.ok("GET", `${v3}/sync?timeout=0`, { token: user.token })).next_batch;
    await server.ok("POST", `${v3}/keys/device_signing/upload`, { token: user.token, body: signingBody(user.userId, { master: keypair(), self: keypair(), user: keypair() }) });
    const after = (await server.ok("GET", `${v3}/sync?timeout=0&since=${encodeURIComponent(before)}`, { token: user.token })).next_batch;
    const changes = await server.ok("GET", `${v3}/keys/changes?from=${encodeURIComponent(before)}&to=${encodeURIComponent(after)}`, { token: user.token });
    expect(changes.changed).toContain(user.userId);
  });
});

describe("POST /keys/signatures/upload", () => {
  test("own device by the self-signing key, master key by a device, another user's master by the user-signing key", async () => {
    const alice = await server.register("frida");
    const bob = await server.register("gus");
    const a = await bootstrap(alice);
    const b = await bootstrap(bob);
    const own = await query(alice, [alice.userId, bob.userId]);
    const deviceKeys = own.device_keys[alice.userId][alice.deviceId];
    const { unsigned: _u, ...deviceObject } = deviceKeys;

    const body = {
      [alice.userId]: {
        [alice.deviceId]: sign(deviceObject, alice.userId, a.self),
        [a.master.pub]: sign(own.master_keys[alice.userId], alice.userId, a.device, alice.deviceId),
      },
      [bob.userId]: { [b.master.pub]: sign(own.master_keys[bob.userId], alice.userId, a.user) },
    };
    expect(await server.ok("POST", `${v3}/keys/signatures/upload`, { token: alice.token, body })).toEqual({ failures: {} });

    const after = await query(alice, [alice.userId, bob.userId]);
    expect(after.device_keys[alice.userId][alice.deviceId].signatures[alice.userId][`ed25519:${a.self.pub}`]).toBeString();
    expect(after.device_keys[alice.userId][alice.deviceId].signatures[alice.userId][`ed25519:${alice.deviceId}`]).toBeString();
    expect(after.master_keys[alice.userId].signatures[alice.userId][`ed25519:${alice.deviceId}`]).toBeString();
    expect(after.master_keys[bob.userId].signatures[alice.userId][`ed25519:${a.user.pub}`]).toBeString();
    // Alice's signature of Bob's master key is hers alone: Bob does not see it.
    const bobView = await query(bob, [bob.userId]);
    expect(bobView.master_keys[bob.userId].signatures?.[alice.userId]).toBeUndefined();
  });

  test("failures are reported per key, the good signatures are stored", async () => {
    const alice = await server.register("hank");
    const bob = await server.register("ida");
    const stranger = await server.register("jack");
    const a = await bootstrap(alice);
    const b = await bootstrap(bob);
    const own = await query(alice, [alice.userId, bob.userId]);
    const { unsigned: _u, ...deviceObject } = own.device_keys[alice.userId][alice.deviceId];
    const forged = keypair();

    const body = {
      [alice.userId]: {
        [alice.deviceId]: sign(deviceObject, alice.userId, forged, a.self.pub), // claims the self-signing key, wrong signature
        UNKNOWNDEVICE: sign({ user_id: alice.userId, device_id: "UNKNOWNDEVICE", keys: {} }, alice.userId, a.self),
        [a.master.pub]: sign(own.master_keys[alice.userId], alice.userId, a.device, alice.deviceId), // good
      },
      [bob.userId]: {
        [b.master.pub]: { ...own.master_keys[bob.userId], usage: ["master", "tampered"] }, // no signature by the user-signing key
        [b.self.pub]: sign(own.self_signing_keys[bob.userId], alice.userId, a.user), // not a master key
      },
      [stranger.userId]: { somekey: {} }, // no cross-signing keys
    };
    const res = await server.ok("POST", `${v3}/keys/signatures/upload`, { token: alice.token, body });
    expect(res.failures[alice.userId][alice.deviceId].errcode).toBe("M_INVALID_SIGNATURE");
    expect(res.failures[alice.userId].UNKNOWNDEVICE.errcode).toBe("M_NOT_FOUND");
    expect(res.failures[alice.userId][a.master.pub]).toBeUndefined();
    expect(res.failures[bob.userId][b.master.pub].errcode).toBe("M_INVALID_SIGNATURE");
    expect(res.failures[bob.userId][b.self.pub].errcode).toBe("M_NOT_FOUND");
    expect(res.failures[stranger.userId].somekey.errcode).toBe("M_NOT_FOUND");

    const after = await query(alice, [alice.userId]);
    expect(after.master_keys[alice.userId].signatures[alice.userId][`ed25519:${alice.deviceId}`]).toBeString();
    expect(after.device_keys[alice.userId][alice.deviceId].signatures[alice.userId][`ed25519:${a.self.pub}`]).toBeUndefined();
  });

  test("a signature of a tampered object does not verify against the stored key", async () => {
    const alice = await server.register("kim");
    const a = await bootstrap(alice);
    const own = await query(alice, [alice.userId]);
    const { unsigned: _u, ...deviceObject } = own.device_keys[alice.userId][alice.deviceId];
    const tampered = sign({ ...deviceObject, keys: { ...deviceObject.keys, [`curve25519:${alice.deviceId}`]: "evil" } }, alice.userId, a.self);
    const res = await server.ok("POST", `${v3}/keys/signatures/upload`, { token: alice.token, body: { [alice.userId]: { [alice.deviceId]: tampered } } });
    expect(res.failures[alice.userId][alice.deviceId].errcode).toBe("M_INVALID_SIGNATURE");
  });

  test("without a user-signing key, other users' keys cannot be signed; bad bodies are 400", async () => {
    const alice = await server.register("lea");
    const bob = await server.register("max");
    const b = await bootstrap(bob);
    const own = await query(alice, [bob.userId]);
    const res = await server.ok("POST", `${v3}/keys/signatures/upload`, { token: alice.token, body: { [bob.userId]: { [b.master.pub]: sign(own.master_keys[bob.userId], alice.userId, keypair()) } } });
    expect(res.failures[bob.userId][b.master.pub].errcode).toBe("M_NOT_FOUND");
    const bad = await server.call("POST", `${v3}/keys/signatures/upload`, { token: alice.token, body: { [bob.userId]: "nope" } });
    expect(bad.status).toBe(400);
  });
});

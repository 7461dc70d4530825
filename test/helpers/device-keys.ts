// A device's ed25519 signing key for tests: builds the signed DeviceKeys and one-time keys a
// client uploads (https://spec.matrix.org/v1.19/client-server-api/#device-keys).
import { encodeBase64 } from "../../src/protocol/base64.ts";
import { nativeEd25519 } from "../../src/protocol/ed25519.ts";
import { signJson, type JsonObject } from "../../src/protocol/signed-json.ts";

export function deviceSigner(user: { userId: string; deviceId: string }) {
  const seed = crypto.getRandomValues(new Uint8Array(32));
  const keyId = `ed25519:${user.deviceId}`;
  const sign = <T extends JsonObject>(o: T) => signJson(o, user.userId, { keyId, seed }, nativeEd25519);
  const deviceKeys = () =>
    sign({
      user_id: user.userId,
      device_id: user.deviceId,
      algorithms: ["m.olm.v1.curve25519-aes-sha2", "m.megolm.v1.aes-sha2"],
      keys: { [keyId]: encodeBase64(nativeEd25519.publicKey(seed)), [`curve25519:${user.deviceId}`]: `curve-${user.deviceId}` },
    });
  const otk = (id: string, key = `k${id}`) => ({ [`signed_curve25519:${id}`]: sign({ key }) });
  return { sign, deviceKeys, otk };
}

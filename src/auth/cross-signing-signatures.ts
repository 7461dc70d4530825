// POST /keys/signatures/upload: signatures of the requester's devices by their self-signing key,
// of their master key by their devices, and of other users' master keys by their user-signing
// key. Each signed object is checked on its own; failures are reported per key, the rest stored.
// https://spec.matrix.org/v1.19/client-server-api/#post_matrixclientv3keyssignaturesupload
import type { Errcode } from "../protocol/errcodes.ts";
import type { Ed25519 } from "../protocol/ed25519.ts";
import { MatrixError } from "../protocol/matrix-error.ts";
import { verifyJsonSignature, type JsonObject } from "../protocol/signed-json.ts";
import type { CrossSigningKeyRow, CrossSigningRepo, SignatureRow } from "../storage/repos/cross-signing.ts";
import { deviceSigningKey, isObject, signedByKey } from "./cross-signing-keys.ts";

/** Limit: signed objects in one upload (the request body limit applies too). */
export const MAX_SIGNED_OBJECTS_PER_UPLOAD = 1000;

export type SignatureFailures = Record<string, Record<string, { errcode: Errcode; error: string }>>;

class SignatureRefused extends Error {
  constructor(readonly errcode: Errcode, message: string) {
    super(message);
  }
}
const invalidSignature = (what: string) => new SignatureRefused("M_INVALID_SIGNATURE", `Invalid or missing signature ${what}`);

/** The one signature `signer` made with `keyId` on `uploaded`, placed on the stored object for checking. */
function signatureOf(uploaded: JsonObject, signer: string, keyId: string): string | null {
  const bySigner = isObject(uploaded.signatures) ? uploaded.signatures[signer] : undefined;
  const signature = isObject(bySigner) ? bySigner[keyId] : undefined;
  return typeof signature === "string" ? signature : null;
}
const onStored = (stored: JsonObject, signer: string, keyId: string, signature: string): JsonObject => ({ ...stored, signatures: { [signer]: { [keyId]: signature } } });

export function createSignatureUpload(deps: { repo: CrossSigningRepo; ed25519: Ed25519; crossSigningChanged?: (userId: string) => Promise<void> | void }) {
  const { repo, ed25519 } = deps;

  return async function uploadSignatures(requester: string, body: Record<string, Record<string, unknown>>): Promise<{ failures: SignatureFailures }> {
    const total = Object.values(body).reduce((n, objects) => n + Object.keys(objects).length, 0);
    if (total > MAX_SIGNED_OBJECTS_PER_UPLOAD) throw new MatrixError(413, "M_TOO_LARGE", `At most ${MAX_SIGNED_OBJECTS_PER_UPLOAD} signed objects per request`);

    const targetUsers = Object.keys(body);
    const keyRows = await repo.keys([...new Set([requester, ...targetUsers])], ["master", "self_signing", "user_signing"]);
    const keyOf = (userId: string, usage: CrossSigningKeyRow["usage"]) => keyRows.find((row) => row.userId === userId && row.usage === usage);
    const ownMaster = keyOf(requester, "master");
    // Own devices named as targets, and devices that signed the own master key.
    const ownObjects = body[requester] ?? {};
    const deviceIds = new Set(Object.keys(ownObjects).filter((keyId) => keyId !== ownMaster?.publicKey));
    const masterUpload = ownMaster ? ownObjects[ownMaster.publicKey] : undefined;
    const masterSigners = isObject(masterUpload) && isObject(masterUpload.signatures) && isObject(masterUpload.signatures[requester]) ? Object.keys(masterUpload.signatures[requester]) : [];
    for (const keyId of masterSigners) if (keyId.startsWith("ed25519:")) deviceIds.add(keyId.slice("ed25519:".length));
    const devices = await repo.deviceKeys(requester, [...deviceIds]);

    /** Own device signed by the self-signing key. */
    const deviceSignature = (deviceId: string, uploaded: JsonObject): SignatureRow[] => {
      const stored = devices.get(deviceId);
      if (!stored) throw new SignatureRefused("M_NOT_FOUND", "Unknown device or no device keys uploaded");
      const selfSigning = keyOf(requester, "self_signing");
      if (!selfSigning) throw new SignatureRefused("M_NOT_FOUND", "No self-signing key uploaded");
      const keyId = `ed25519:${selfSigning.publicKey}`;
      const signature = signatureOf(uploaded, requester, keyId);
      if (!signature || !signedByKey(onStored(stored, requester, keyId, signature), requester, selfSigning.publicKey, ed25519)) throw invalidSignature("by the self-signing key");
      return [{ signerUserId: requester, signerKeyId: keyId, targetUserId: requester, targetKeyId: deviceId, signature }];
    };

    /** Own master key signed by one or more of the requester's devices. */
    const masterSignatures = (master: CrossSigningKeyRow, uploaded: JsonObject): SignatureRow[] => {
      const rows: SignatureRow[] = [];
      for (const keyId of masterSigners) {
        if (keyId === `ed25519:${master.publicKey}`) continue; // the master key's own signature
        const signature = signatureOf(uploaded, requester, keyId)!;
        const deviceId = keyId.slice("ed25519:".length);
        const device = devices.get(deviceId);
        const publicKey = device ? deviceSigningKey(device, deviceId) : null;
        if (!publicKey || !keyId.startsWith("ed25519:")) throw new SignatureRefused("M_NOT_FOUND", `Unknown signing device ${keyId}`);
        if (!verifyJsonSignature(onStored(master.key, requester, keyId, signature), requester, keyId, publicKey, ed25519).ok) throw invalidSignature(`by device ${deviceId}`);
        rows.push({ signerUserId: requester, signerKeyId: keyId, targetUserId: requester, targetKeyId: master.publicKey, signature });
      }
      if (rows.length === 0) throw invalidSignature("by a device");
      return rows;
    };

    /** Another user's master key signed by the requester's user-signing key. */
    const otherUserSignature = (userId: string, keyId: string, uploaded: JsonObject): SignatureRow[] => {
      const master = keyOf(userId, "master");
      if (!master || master.publicKey !== keyId) throw new SignatureRefused("M_NOT_FOUND", "Not the user's master key");
      const userSigning = keyOf(requester, "user_signing");
      if (!userSigning) throw new SignatureRefused("M_NOT_FOUND", "No user-signing key uploaded");
      const signerKeyId = `ed25519:${userSigning.publicKey}`;
      const signature = signatureOf(uploaded, requester, signerKeyId);
      if (!signature || !signedByKey(onStored(master.key, requester, signerKeyId, signature), requester, userSigning.publicKey, ed25519)) throw invalidSignature("by the user-signing key");
      return [{ signerUserId: requester, signerKeyId, targetUserId: userId, targetKeyId: keyId, signature }];
    };

    const failures: SignatureFailures = {};
    const accepted: SignatureRow[] = [];
    for (const [userId, objects] of Object.entries(body)) {
      for (const [keyId, uploaded] of Object.entries(objects)) {
        try {
          if (!isObject(uploaded)) throw new SignatureRefused("M_BAD_JSON", "The signed object must be a JSON object");
          if (userId !== requester) accepted.push(...otherUserSignature(userId, keyId, uploaded));
          else if (ownMaster && keyId === ownMaster.publicKey) accepted.push(...masterSignatures(ownMaster, uploaded));
          else accepted.push(...deviceSignature(keyId, uploaded));
        } catch (error) {
          if (!(error instanceof SignatureRefused)) throw error;
          (failures[userId] ??= {})[keyId] = { errcode: error.errcode, error: error.message };
        }
      }
    }
    await repo.putSignatures(accepted);
    // Own keys changed for everyone; a user-signing signature matters to the signer's clients.
    if (accepted.length > 0) await deps.crossSigningChanged?.(requester);
    return { failures };
  };
}

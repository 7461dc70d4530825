// Cross-signing: POST /keys/device_signing/upload, and the cross-signing keys and signatures
// that /keys/query returns. Signature uploads are in cross-signing-signatures.ts.
// https://spec.matrix.org/v1.19/client-server-api/#cross-signing
import { canonicalJson } from "../protocol/canonical-json.ts";
import type { Ed25519 } from "../protocol/ed25519.ts";
import { MatrixError } from "../protocol/matrix-error.ts";
import type { JsonObject, Signatures } from "../protocol/signed-json.ts";
import type { CrossSigningRepo, CrossSigningUsage, SignatureRow } from "../storage/repos/cross-signing.ts";
import { parseCrossSigningKey, signedByKey, type ParsedKey } from "./cross-signing-keys.ts";
import { createSignatureUpload } from "./cross-signing-signatures.ts";
import type { Uia } from "./uia.ts";

/** Called after a user's cross-signing keys or signatures changed: main.ts bumps their device list. */
export type CrossSigningChanged = (userId: string) => Promise<void> | void;

export interface CrossSigningDeps {
  repo: CrossSigningRepo;
  uia: Pick<Uia, "require">;
  ed25519: Ed25519;
  crossSigningChanged?: CrossSigningChanged;
  now?: () => number;
}

export interface DeviceSigningUpload {
  master_key?: unknown;
  self_signing_key?: unknown;
  user_signing_key?: unknown;
  auth?: unknown;
}

/** The cross-signing part of a POST /keys/query response. */
export interface QueriedCrossSigningKeys {
  master_keys: Record<string, JsonObject>;
  self_signing_keys: Record<string, JsonObject>;
  user_signing_keys: Record<string, JsonObject>;
  device_signatures: Record<string, Record<string, Signatures>>;
}

/** UIA flows for replacing cross-signing keys: the account's password (as for deleting devices). */
const REPLACE_FLOWS = [{ stages: ["m.login.password"] }];

/** Adds stored signatures to a key's own `signatures` (a copy). */
function withSignatures(key: JsonObject, rows: readonly SignatureRow[]): JsonObject {
  if (rows.length === 0) return key;
  const signatures: Signatures = structuredClone((key.signatures ?? {}) as Signatures);
  for (const row of rows) (signatures[row.signerUserId] ??= {})[row.signerKeyId] = row.signature;
  return { ...key, signatures };
}

export function createCrossSigning(deps: CrossSigningDeps) {
  const { repo, ed25519 } = deps;
  const now = deps.now ?? Date.now;

  /** POST /keys/device_signing/upload (https://spec.matrix.org/v1.19/client-server-api/#post_matrixclientv3keysdevice_signingupload) */
  async function upload(userId: string, body: DeviceSigningUpload): Promise<void> {
    const given: ParsedKey[] = [];
    if (body.master_key !== undefined) given.push(parseCrossSigningKey(body.master_key, userId, "master"));
    if (body.self_signing_key !== undefined) given.push(parseCrossSigningKey(body.self_signing_key, userId, "self_signing"));
    if (body.user_signing_key !== undefined) given.push(parseCrossSigningKey(body.user_signing_key, userId, "user_signing"));
    const stored = new Map((await repo.keys([userId])).map((row) => [row.usage, row]));

    // 1. Self-signing and user-signing keys must be signed by the master key (new or stored).
    const master = given.find((key) => key.usage === "master")?.publicKey ?? stored.get("master")?.publicKey;
    if (master === undefined) throw new MatrixError(400, "M_MISSING_PARAM", "No master signing key is available");
    for (const key of given) {
      if (key.usage !== "master" && !signedByKey(key.key, userId, master, ed25519)) {
        throw new MatrixError(400, "M_INVALID_SIGNATURE", `The ${key.usage} key is not signed by the master key`);
      }
    }
    // 2. UIA unless this is the first upload or nothing changes (the spec's two exceptions).
    const unchanged = given.every((key) => {
      const old = stored.get(key.usage);
      return old !== undefined && canonicalJson(old.key) === canonicalJson(key.key);
    });
    if (unchanged) return;
    if (stored.has("master")) await deps.uia.require({ auth: body.auth, operation: "device_signing_upload", userId, flows: REPLACE_FLOWS });
    // 3. Store, then tell other users' clients to re-fetch this user's keys.
    await repo.putKeys(userId, given, now());
    await deps.crossSigningChanged?.(userId);
  }

  /**
   * For /keys/query (the CrossSigningKeys of src/auth/keys-query.ts): the master and
   * self-signing keys of `userIds`, the requester's own user-signing key, and signatures added
   * later: by the key's owner (their devices, their self-signing key on devices) and by the
   * requester (their user-signing signatures are private to them). Device signatures come
   * apart in `device_signatures`, by user and device id.
   */
  async function crossSigningKeys(userIds: readonly string[], requester: string): Promise<QueriedCrossSigningKeys> {
    const result: QueriedCrossSigningKeys = { master_keys: {}, self_signing_keys: {}, user_signing_keys: {}, device_signatures: {} };
    const rows = await repo.keys(userIds);
    if (rows.length === 0) return result;
    const signatures = await repo.signaturesOn([...new Set(rows.map((row) => row.userId))], requester);
    const onKey = new Map<string, SignatureRow[]>();
    for (const s of signatures) {
      const key = `${s.targetUserId}\n${s.targetKeyId}`;
      onKey.set(key, [...(onKey.get(key) ?? []), s]);
    }
    const crossKeys = new Set<string>();
    for (const row of rows) {
      crossKeys.add(`${row.userId}\n${row.publicKey}`);
      if (row.usage === "user_signing" && row.userId !== requester) continue;
      const field = row.usage === "master" ? "master_keys" : row.usage === "self_signing" ? "self_signing_keys" : "user_signing_keys";
      result[field][row.userId] = withSignatures(row.key, onKey.get(`${row.userId}\n${row.publicKey}`) ?? []);
    }
    for (const s of signatures) {
      if (crossKeys.has(`${s.targetUserId}\n${s.targetKeyId}`) || s.signerUserId !== s.targetUserId) continue;
      (((result.device_signatures[s.targetUserId] ??= {})[s.targetKeyId] ??= {})[s.signerUserId] ??= {})[s.signerKeyId] = s.signature;
    }
    return result;
  }

  /** Signatures of `userId`'s devices by their self-signing key, by device id. */
  async function extraDeviceSignatures(userId: string, deviceIds: readonly string[]): Promise<Record<string, Signatures>> {
    const { device_signatures } = await crossSigningKeys([userId], userId);
    const mine = device_signatures[userId] ?? {};
    return Object.fromEntries(deviceIds.filter((id) => mine[id]).map((id) => [id, mine[id]!]));
  }

  return {
    upload,
    uploadSignatures: createSignatureUpload({ repo, ed25519, crossSigningChanged: deps.crossSigningChanged }),
    crossSigningKeys,
    extraDeviceSignatures,
  };
}

export type CrossSigning = ReturnType<typeof createCrossSigning>;
export type { CrossSigningUsage };

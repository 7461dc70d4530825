// Cross-signing keys (master, self-signing, user-signing) and the signatures uploaded later
// through POST /keys/signatures/upload.
// https://spec.matrix.org/v1.19/client-server-api/#cross-signing
import { bigint, index, jsonb, pgTable, primaryKey, text } from "drizzle-orm/pg-core";
import { users } from "./accounts.ts";

/** A user's current cross-signing key of each usage; replacing a key overwrites its row. */
export const crossSigningKeys = pgTable(
  "cross_signing_keys",
  {
    userId: text("user_id")
      .notNull()
      .references(() => users.userId, { onDelete: "cascade" }),
    /** "master", "self_signing" or "user_signing". */
    usage: text("usage").notNull(),
    /** The unpadded base64 Ed25519 public key (the key id without "ed25519:"). */
    publicKey: text("public_key").notNull(),
    /** The CrossSigningKey object as uploaded, with the signatures it came with. */
    key: jsonb("key").$type<Record<string, unknown>>().notNull(),
    /** Milliseconds since the epoch of the upload. */
    updatedTs: bigint("updated_ts", { mode: "number" }).notNull(),
  },
  (t) => [primaryKey({ columns: [t.userId, t.usage] })],
);

/**
 * Signatures added to a key after its upload: of a device by its user's self-signing key, of a
 * master key by one of its user's devices, or of another user's master key by a user-signing key.
 */
export const crossSigningSignatures = pgTable(
  "cross_signing_signatures",
  {
    /** Whose key signed. */
    signerUserId: text("signer_user_id").notNull(),
    /** The signing key's id, e.g. "ed25519:<public key>" or "ed25519:<device id>". */
    signerKeyId: text("signer_key_id").notNull(),
    targetUserId: text("target_user_id").notNull(),
    /** The signed key: a device id, or a cross-signing public key. */
    targetKeyId: text("target_key_id").notNull(),
    signature: text("signature").notNull(),
  },
  (t) => [
    primaryKey({ columns: [t.targetUserId, t.targetKeyId, t.signerUserId, t.signerKeyId] }),
    index("cross_signing_signatures_signer").on(t.signerUserId),
  ],
);

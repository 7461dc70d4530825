// Asking a notary (trusted_key_servers) for another server's keys: POST /_matrix/key/v2/query,
// keeping only entries signed by the origin itself and, when keys are configured, by the notary.
// https://spec.matrix.org/v1.19/server-server-api/#querying-keys-through-another-server
// https://spec.matrix.org/v1.19/rooms/v5/#signing-key-validity-period (minimum_valid_until_ts)
import type { Logger } from "../log/logger.ts";
import type { JsonObject } from "../protocol/signed-json.ts";
import { checkKeyResponse, checkNotarySignature, type KeyResponse, type KeyResponseChecker } from "./server-keys-response.ts";
import type { FederationTransport } from "./transport.ts";

/** Most entries one notary answer may hold for our one-server question; more is refused as hostile. */
export const MAX_NOTARY_ANSWER_ENTRIES = 16;

export interface NotaryContext {
  transport: FederationTransport;
  log: Logger;
  checker: KeyResponseChecker;
  now: () => number;
  timeoutMs: number;
}

export interface Notary {
  name: string;
  /** The keys its answers must be signed with; null: TLS is the only check (Synapse without verify_keys). */
  keys: ReadonlyMap<string, Uint8Array> | null;
}

/** The verified responses `notary` gives for `serverName`; empty when it fails or lies. */
export async function notaryQuery(
  context: NotaryContext,
  notary: Notary,
  serverName: string,
  wanted: { keyId: string | null; validAt: number },
): Promise<{ response: KeyResponse; fetchedTs: number }[]> {
  const criteria = wanted.keyId === null ? {} : { [wanted.keyId]: { minimum_valid_until_ts: wanted.validAt } };
  let answer: unknown;
  try {
    answer = await context.transport.signed(notary.name, {
      method: "POST",
      path: "/_matrix/key/v2/query",
      body: { server_keys: { [serverName]: criteria } },
      timeoutMs: context.timeoutMs,
    });
  } catch (error) {
    context.log.info("cannot query key notary", { notary: notary.name, server_name: serverName, error: String(error) });
    return [];
  }
  const fetchedTs = context.now();
  const entries = typeof answer === "object" && answer !== null ? (answer as JsonObject).server_keys : undefined;
  if (!Array.isArray(entries) || entries.length > MAX_NOTARY_ANSWER_ENTRIES) {
    context.log.info("refused a key notary's answer", { notary: notary.name, server_name: serverName });
    return [];
  }
  const verified: { response: KeyResponse; fetchedTs: number }[] = [];
  for (const entry of entries) {
    // Entries about other servers were not asked for; ignore them rather than trust them.
    if (typeof entry !== "object" || entry === null || (entry as JsonObject).server_name !== serverName) continue;
    const response = checkNotarySignature(entry as JsonObject, notary.name, notary.keys, context.checker)
      ? checkKeyResponse(entry, serverName, context.checker)
      : null;
    if (response) verified.push({ response, fetchedTs });
    else context.log.info("refused a key response", { server_name: serverName, from: notary.name });
  }
  return verified;
}

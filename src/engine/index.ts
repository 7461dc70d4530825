// The engine: Myelin's typed facade over the Rust core in wasm/ (see ARCHITECTURE.md).
// Create it once with loadEngine() in the composition root and pass it to whoever needs it.
import { CanonicalJsonError } from "../protocol/canonical-json.ts";
import { createEventAuth, type EventAuth } from "./auth.ts";
import { createEventSignatures, type EventSignatures } from "./event-signatures.ts";
import { createEventFormat, type EventFormat } from "./events.ts";
import { toJsonText } from "./json-text.ts";
import { createPushEngine, type PushEngine } from "./push.ts";
import { readRoomVersions, type RoomVersionRules } from "./room-versions.ts";
import { createStateResolver, type StateResolver } from "./state-res.ts";
import { loadWasmCore, WasmOperationError, type WasmCore } from "./wasm-module.ts";

/**
 * Event format (./events.ts), event signing and checks (./event-signatures.ts) and push rules
 * (./push.ts) are mixed in.
 * State resolution (./state-res.ts) too; ./state-res-worker-client.ts runs it in a worker.
 */
export interface Engine extends EventFormat, EventSignatures, PushEngine, EventAuth, StateResolver {
  /** Canonical JSON text of `value`; throws CanonicalJsonError if it cannot be encoded. */
  canonicalJson(value: unknown): string;
  /** Canonical JSON as the UTF-8 bytes that are hashed and signed. */
  canonicalJsonBytes(value: unknown): Uint8Array;
  /** Every room version the core knows, by id, with its rule flags. */
  readonly roomVersions: ReadonlyMap<string, RoomVersionRules>;
}

export type { RoomVersionRules } from "./room-versions.ts";
export {
  splitStateKey,
  stateKey,
  type EventId,
  type ResolvedState,
  type StateEvent,
  type StateDelta,
  type StateKey,
  type StateMap,
  type StateResolutionInput,
  type StateSet,
  type StateResolutionStats,
} from "./state-res.ts";
export { createStateResolutionWorker, type StateResolutionWorker } from "./state-res-worker-client.ts";
export type { AuthCheck, AuthPdu, AuthResult, CheckAuthOptions } from "./auth.ts";
export type {
  PreparedPushRules,
  PushAction,
  PushCondition,
  PushContext,
  PushMatch,
  PushNoMatch,
  PushOutcome,
  PushRecipient,
  PushRule,
  PushRuleKind,
  PushRuleOptions,
  PushRuleset,
  StoredPushRule,
  StoredPushRules,
} from "./push.ts";
export { EventFormatError, UnknownRoomVersionError, type EventFormatIssue, type EventHashes } from "./events.ts";
export {
  ed25519Signer,
  type CheckOptions,
  type EventSigner,
  type InvalidEventReason,
  type PublicKeys,
  type ReceivedEventOutcome,
  type SignatureFailure,
  type SignedEvent,
  type VerifyKey,
} from "./event-signatures.ts";

/** Reads and compiles wasm/myelin_core.wasm (embedded in compiled binaries) into an Engine. */
export async function loadEngine(): Promise<Engine> {
  return createEngine(await loadWasmCore());
}

const utf8 = { encode: new TextEncoder(), decode: new TextDecoder() };

export function createEngine(core: WasmCore): Engine {
  const canonicalJsonBytes = (value: unknown): Uint8Array => {
    try {
      return core.call("canonical_json", utf8.encode.encode(toJsonText(value)));
    } catch (error) {
      if (error instanceof WasmOperationError) throw new CanonicalJsonError(error.message);
      throw error;
    }
  };
  const roomVersions = readRoomVersions(core);
  return {
    canonicalJson: (value) => utf8.decode.decode(canonicalJsonBytes(value)),
    canonicalJsonBytes,
    roomVersions,
    ...createEventFormat(core, roomVersions),
    ...createEventSignatures(core, roomVersions),
    ...createEventAuth(core, roomVersions),
    ...createPushEngine(core),
    ...createStateResolver(core, roomVersions),
  };
}

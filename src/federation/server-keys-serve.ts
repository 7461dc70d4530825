// Acting as a notary: answering POST /_matrix/key/v2/query and GET /_matrix/key/v2/query/{serverName}
// with the responses other servers gave us, each countersigned by us as Synapse does.
// https://spec.matrix.org/v1.19/server-server-api/#querying-keys-through-another-server
import type { ServerKeys } from "../auth/server-keys.ts";
import type { JsonObject } from "../protocol/signed-json.ts";
import type { RemoteServerKeys } from "./server-keys.ts";

/** Servers one notary query may name (the spec sets none; each may cost a fetch). */
export const NOTARY_QUERY_MAX_SERVERS = 1000;
/** Servers whose keys one notary query fetches at once. */
export const NOTARY_FETCH_CONCURRENCY = 16;

export interface NotaryQuestion {
  serverName: string;
  /** Empty: every key. */
  keyIds: readonly string[];
  minimumValidUntilTs: number;
}

export interface KeyNotary {
  /** The key responses answering `questions` (servers we know nothing of are left out), signed by us. */
  answer(questions: readonly NotaryQuestion[]): Promise<{ server_keys: JsonObject[] }>;
}

export function createKeyNotary(keys: Pick<RemoteServerKeys, "responsesFor">, own: Pick<ServerKeys, "serverName" | "sign">): KeyNotary {
  return {
    async answer(questions) {
      const answers: JsonObject[][] = new Array(questions.length);
      let next = 0;
      const worker = async () => {
        for (let index = next++; index < questions.length; index = next++) {
          const { serverName, keyIds, minimumValidUntilTs } = questions[index]!;
          answers[index] = await keys.responsesFor(serverName, keyIds, minimumValidUntilTs);
        }
      };
      await Promise.all(Array.from({ length: Math.min(NOTARY_FETCH_CONCURRENCY, questions.length) }, worker));
      // Our own response is already signed by us; signing it again would change nothing.
      return { server_keys: answers.flat().map((response) => (response.server_name === own.serverName ? response : own.sign(response))) };
    },
  };
}

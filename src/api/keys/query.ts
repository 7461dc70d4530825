// The notary endpoints: other servers' keys as this server saw them, countersigned.
// https://spec.matrix.org/v1.19/server-server-api/#querying-keys-through-another-server
import { Type as T } from "@sinclair/typebox";
import { NOTARY_QUERY_MAX_SERVERS, type KeyNotary, type NotaryQuestion } from "../../federation/server-keys-serve.ts";
import { endpoint } from "../../http/endpoint.ts";
import { isServerName } from "../../protocol/identifiers.ts";
import { MatrixError } from "../../protocol/matrix-error.ts";

const Timestamp = T.Integer({ minimum: 0, maximum: Number.MAX_SAFE_INTEGER });

function checkServerName(serverName: string): string {
  if (!isServerName(serverName)) throw new MatrixError(400, "M_INVALID_PARAM", `${JSON.stringify(serverName)} is not a server name`);
  return serverName;
}

export const keyQueryEndpoints = (notary: KeyNotary, now: () => number = Date.now) => [
  endpoint({
    method: "POST",
    paths: ["/_matrix/key/v2/query"],
    auth: "none",
    body: T.Object({
      server_keys: T.Record(T.String(), T.Record(T.String(), T.Object({ minimum_valid_until_ts: T.Optional(Timestamp) }))),
    }),
    spec: "https://spec.matrix.org/v1.19/server-server-api/#post_matrixkeyv2query",
    handler: ({ body }) => {
      const servers = Object.entries(body.server_keys);
      if (servers.length > NOTARY_QUERY_MAX_SERVERS) {
        throw new MatrixError(400, "M_INVALID_PARAM", `At most ${NOTARY_QUERY_MAX_SERVERS} servers per query`);
      }
      const time = now();
      const questions: NotaryQuestion[] = servers.map(([serverName, criteria]) => ({
        serverName: checkServerName(serverName),
        keyIds: Object.keys(criteria),
        // The strictest criterion given for the server's keys; the current time for a key without one.
        minimumValidUntilTs: Object.values(criteria).reduce<number | null>((max, c) => Math.max(max ?? 0, c.minimum_valid_until_ts ?? time), null) ?? time,
      }));
      return notary.answer(questions);
    },
  }),
  endpoint({
    method: "GET",
    paths: ["/_matrix/key/v2/query/:serverName"],
    auth: "none",
    query: T.Object({ minimum_valid_until_ts: T.Optional(Timestamp) }),
    spec: "https://spec.matrix.org/v1.19/server-server-api/#get_matrixkeyv2queryservername",
    handler: ({ params, query }) =>
      notary.answer([{ serverName: checkServerName(params.serverName!), keyIds: [], minimumValidUntilTs: query.minimum_valid_until_ts ?? now() }]),
  }),
];

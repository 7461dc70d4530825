import type { ServerKeys } from "../../auth/server-keys.ts";
import { endpoint } from "../../http/endpoint.ts";

/** GET /_matrix/key/v2/server */
export const serverKeyEndpoints = (keys: Pick<ServerKeys, "keyResponse">) => [
  endpoint({
    method: "GET",
    paths: ["/_matrix/key/v2/server"],
    auth: "none",
    spec: "https://spec.matrix.org/v1.19/server-server-api/#get_matrixkeyv2server",
    handler: () => keys.keyResponse(),
  }),
];

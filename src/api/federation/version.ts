import { endpoint } from "../../http/endpoint.ts";
import { SERVER_SOFTWARE_NAME } from "../../protocol/versions.ts";

/** GET /_matrix/federation/v1/version */
export const federationVersionEndpoints = (softwareVersion: string) => [
  endpoint({
    method: "GET",
    paths: ["/_matrix/federation/v1/version"],
    auth: "none",
    spec: "https://spec.matrix.org/v1.19/server-server-api/#get_matrixfederationv1version",
    handler: () => ({ server: { name: SERVER_SOFTWARE_NAME, version: softwareVersion } }),
  }),
];

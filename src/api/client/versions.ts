import { endpoint } from "../../http/endpoint.ts";
import { CLIENT_SPEC_VERSIONS } from "../../protocol/versions.ts";

export interface VersionsDeps {
  /** Unstable features (MSCs) that are implemented and on; none is claimed that is not. */
  unstableFeatures: () => Record<string, boolean>;
}

/** GET /_matrix/client/versions */
export const clientVersionsEndpoints = (deps: VersionsDeps) => [
  endpoint({
    method: "GET",
    paths: ["/_matrix/client/versions"],
    auth: "none",
    spec: "https://spec.matrix.org/v1.19/client-server-api/#get_matrixclientversions",
    handler: () => ({ versions: CLIENT_SPEC_VERSIONS, unstable_features: deps.unstableFeatures() }),
  }),
];

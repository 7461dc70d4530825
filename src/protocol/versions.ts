// Spec versions /_matrix/client/versions advertises. Myelin serves only v3/v1 paths (no r0),
// so no r0.x versions; each feature issue keeps its endpoints at the latest stable shape.
// https://spec.matrix.org/v1.19/client-server-api/#get_matrixclientversions
export const CLIENT_SPEC_VERSIONS = [
  "v1.1", "v1.2", "v1.3", "v1.4", "v1.5", "v1.6", "v1.7", "v1.8", "v1.9", "v1.10",
  "v1.11", "v1.12", "v1.13", "v1.14", "v1.15", "v1.16", "v1.17", "v1.18", "v1.19",
] as const;

export const SERVER_SOFTWARE_NAME = "Myelin";

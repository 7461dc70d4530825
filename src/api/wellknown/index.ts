// Server discovery: https://spec.matrix.org/v1.19/client-server-api/#well-known-uris
// and https://spec.matrix.org/v1.19/server-server-api/#resolving-server-names
import { endpoint } from "../../http/endpoint.ts";
import { notFound } from "../../protocol/matrix-error.ts";

export interface WellKnownOptions {
  /** Base URL for clients; null when public_baseurl is unset (Synapse then serves no client file). */
  clientBaseUrl: string | null;
  extraClientContent: Record<string, unknown>;
  /** host:port federation should use, or null when serve_server_wellknown is off. */
  delegatedServer: string | null;
}

export const wellKnownEndpoints = (options: WellKnownOptions) => [
  endpoint({
    method: "GET",
    paths: ["/.well-known/matrix/client"],
    auth: "none",
    spec: "https://spec.matrix.org/v1.19/client-server-api/#getwell-knownmatrixclient",
    handler: () => {
      if (!options.clientBaseUrl) throw notFound("No .well-known/matrix/client is configured (set public_baseurl)");
      return { ...options.extraClientContent, "m.homeserver": { base_url: options.clientBaseUrl } };
    },
  }),
  endpoint({
    method: "GET",
    paths: ["/.well-known/matrix/server"],
    auth: "none",
    spec: "https://spec.matrix.org/v1.19/server-server-api/#getwell-knownmatrixserver",
    handler: () => {
      if (!options.delegatedServer) throw notFound(".well-known/matrix/server is not served (serve_server_wellknown is off)");
      return { "m.server": options.delegatedServer };
    },
  }),
];

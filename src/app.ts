// createApp: the HTTP surface of one listener, from its resource names and the services.
// No I/O here, so tests build it and call app.handle(new Request(...)).
import { clientVersionsEndpoints } from "./api/client/versions.ts";
import { federationVersionEndpoints } from "./api/federation/version.ts";
import { healthEndpoints } from "./api/health/index.ts";
import { serverKeyEndpoints } from "./api/keys/server.ts";
import { wellKnownEndpoints } from "./api/wellknown/index.ts";
import type { ServerKeys } from "./auth/server-keys.ts";
import type { Config } from "./config/verify.ts";
import type { ResourceName } from "./config/schema.ts";
import type { Endpoint } from "./http/endpoint.ts";
import type { RateLimiter } from "./http/rate-limit.ts";
import { createRouter, type HttpApp } from "./http/router.ts";
import type { Logger } from "./log/logger.ts";

export interface AppServices {
  config: Config;
  log: Logger;
  serverKeys: ServerKeys;
  rateLimiter: RateLimiter;
  /** Myelin's own version, reported to peers. */
  version: string;
}

function delegatedServer(config: Config): string | null {
  if (!config.serve_server_wellknown) return null;
  const url = new URL(config.public_baseurl);
  return `${url.hostname}:${url.port || 443}`;
}

function endpointsFor(resource: ResourceName, services: AppServices): Endpoint[] {
  const { config } = services;
  switch (resource) {
    case "client":
      return [
        ...clientVersionsEndpoints({ unstableFeatures: () => ({}) }),
        ...wellKnownEndpoints({
          clientBaseUrl: config.public_baseurl_explicit ? config.public_baseurl : null,
          extraClientContent: config.extra_well_known_client_content,
          delegatedServer: delegatedServer(config),
        }),
      ];
    case "federation":
      return [...federationVersionEndpoints(services.version), ...serverKeyEndpoints(services.serverKeys)];
    case "keys":
      return serverKeyEndpoints(services.serverKeys);
    case "health":
      return [];
  }
}

export function createApp(services: AppServices, resources: readonly ResourceName[], options: { trustForwardedFor?: boolean } = {}): HttpApp {
  const byPath = new Map<string, Endpoint>();
  // Health answers on every listener, as in Synapse; resources may overlap (federation and keys).
  for (const endpoint of [...healthEndpoints(), ...resources.flatMap((resource) => endpointsFor(resource, services))]) {
    byPath.set(`${endpoint.method} ${endpoint.paths[0]}`, endpoint);
  }
  return createRouter({
    endpoints: [...byPath.values()],
    log: services.log,
    maxBodySize: services.config.max_request_body_size,
    auth: {},
    rateLimiter: services.rateLimiter,
    rateLimits: { rc_message: services.config.rc_message },
    trustForwardedFor: options.trustForwardedFor ?? false,
  });
}

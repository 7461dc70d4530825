// What the rest of federation uses to talk to other homeservers (implemented in ./client.ts):
// server discovery, TLS, X-Matrix signing, limits and per-destination backoff stay behind it.
// https://spec.matrix.org/v1.19/server-server-api/#resolving-server-names
// https://spec.matrix.org/v1.19/server-server-api/#request-authentication
import type { JsonObject } from "../protocol/signed-json.ts";

export interface FederationRequest {
  method: "GET" | "PUT" | "POST" | "DELETE";
  /** The path with its path parameters already encoded, e.g. /_matrix/federation/v1/query/profile. */
  path: string;
  query?: Record<string, string | readonly string[]>;
  body?: JsonObject;
  /** Limit for this call (defaults to the client's). */
  timeoutMs?: number;
}

/** A request to another server failed: unreachable, refused by policy, timed out, or answered with an error. */
export class FederationRequestError extends Error {
  constructor(
    readonly destination: string,
    message: string,
    /** The remote's HTTP status and Matrix error, when it answered. */
    readonly status?: number,
    readonly errcode?: string,
    readonly body?: unknown,
  ) {
    super(message);
    this.name = "FederationRequestError";
  }
}

export interface FederationTransport {
  /** A request signed with X-Matrix as this server; resolves with the JSON body of a 2xx answer. */
  signed<T = unknown>(destination: string, request: FederationRequest): Promise<T>;
  /** An unsigned GET (the key server endpoints); resolves with the JSON body of a 2xx answer. */
  unsigned<T = unknown>(destination: string, path: string, options?: { timeoutMs?: number }): Promise<T>;
}

// One definition per endpoint: method, every path version, auth scheme, rate limit, schemas
// and a spec link together; mountEndpoints() registers all of them from it.
import type { Static, TSchema } from "@sinclair/typebox";

/** Who may call: resolved once by the auth step in src/http/app-http.ts, never in handlers. */
export type AuthKind = "none" | "accessToken" | "server" | "appservice";

/** Names of the rate-limit rules in config (Synapse's rc_* options). */
export type RateLimitName = "rc_message" | "rc_registration_token_validity";

/** What an auth resolver established about the caller. */
export type Requester =
  | { kind: "none" }
  | {
      kind: "user"; userId: string; deviceId: string | null; isGuest: boolean;
      /** Set when an application service's as_token made the request (identity assertion). */
      appserviceId?: string;
      /** The AS's registration says rate_limited: false, or the caller is the AS's sender. */
      rateLimitExempt?: boolean;
    }
  | { kind: "server"; origin: string }
  | { kind: "appservice"; id: string; userId: string };

export interface EndpointRequest<Body, Query> {
  body: Body;
  query: Query;
  params: Record<string, string>;
  /** Every value of every query parameter, for the few endpoints that repeat them (e.g. via). */
  searchParams: URLSearchParams;
  requester: Requester;
  request: Request;
  ip: string;
  requestId: string;
}

/** A reply with a status other than 200, or extra headers. */
export interface Reply {
  readonly status: number;
  readonly body: unknown;
  readonly headers?: Record<string, string>;
}
const REPLY = Symbol("reply");
export const reply = (status: number, body: unknown, headers?: Record<string, string>): Reply =>
  ({ [REPLY]: true, status, body, headers }) as Reply;
export const isReply = (value: unknown): value is Reply => typeof value === "object" && value !== null && REPLY in value;

export interface EndpointDefinition<B extends TSchema | undefined, Q extends TSchema | undefined> {
  method: "GET" | "POST" | "PUT" | "DELETE";
  /** Every path this endpoint answers on (r0/v3 history), Elysia syntax for parameters (:roomId). */
  paths: readonly string[];
  auth: AuthKind;
  rateLimit?: RateLimitName;
  /** Whether guest accounts may call it (the spec's list); refused with M_GUEST_ACCESS_FORBIDDEN otherwise. */
  allowGuests?: boolean;
  /** Schema of the JSON body; omit for endpoints that take none. */
  body?: B;
  /** Schema of the query parameters (strings converted to the schema's types). */
  query?: Q;
  /** The spec section this implements. */
  spec: string;
  handler: (
    request: EndpointRequest<B extends TSchema ? Static<B> : undefined, Q extends TSchema ? Static<Q> : Record<string, string>>,
  ) => unknown | Promise<unknown>;
}

export type Endpoint = EndpointDefinition<TSchema | undefined, TSchema | undefined>;

/** Identity with inference: gives handlers typed body and query. */
export function endpoint<B extends TSchema | undefined = undefined, Q extends TSchema | undefined = undefined>(
  definition: EndpointDefinition<B, Q>,
): Endpoint {
  return definition as unknown as Endpoint;
}

// The federation client (FederationTransport): discovery (./resolve.ts), HTTPS under the IP
// policy (./outbound-https.ts), X-Matrix signing (src/auth/x-matrix.ts), a timeout, a response
// size cap, JSON only, and per-destination backoff (./backoff.ts).
// https://spec.matrix.org/v1.19/server-server-api/#api-standards
// Limit: one attempt per request (Synapse retries a few times); the next address or SRV target
// is tried only when a connection fails.
import { parseDuration } from "../config/units.ts";
import type { Config } from "../config/verify.ts";
import { xMatrixAuthorization } from "../auth/x-matrix.ts";
import type { Ed25519 } from "../protocol/ed25519.ts";
import { outboundPolicy, parseRanges } from "../protocol/ip-ranges.ts";
import type { CanonicalEncoder, SigningKey } from "../protocol/signed-json.ts";
import { createDestinationBackoff, type DestinationBackoff } from "./backoff.ts";
import { createOutboundHttps, type OutboundHttps } from "./outbound-https.ts";
import { createServerResolver, serverOfUrl, systemDns, type Dns, type FetchedAnswer, type ServerResolver } from "./resolve.ts";
import { FederationRequestError, type FederationRequest, type FederationTransport } from "./transport.ts";
import { requestTarget } from "./client-target.ts";
import { createFederationMediaClient, type FederationMediaClient } from "./media-client.ts";

export { requestTarget } from "./client-target.ts";

/** The federation client and its sibling for byte answers (media), sharing discovery and backoff. */
export type FederationClient = FederationTransport & { media: FederationMediaClient };

/** Limit: the default wait for an answer, resolution included (Synapse's federation.client_timeout, 60 s). */
export const FEDERATION_CLIENT_TIMEOUT_MS = 60_000;
/** Limit: the largest response body read (Synapse's MAX_RESPONSE_SIZE for federation JSON, 100 MiB). */
export const FEDERATION_MAX_RESPONSE_BYTES = 100 * 1024 * 1024;

export interface FederationClientDeps {
  serverName: string;
  signingKey: SigningKey;
  ed25519: Ed25519;
  canonicalJson?: CanonicalEncoder;
  resolver: ServerResolver;
  https: OutboundHttps;
  backoff: DestinationBackoff;
  timeoutMs?: number;
  maxResponseBytes?: number;
}

const utf8 = new TextDecoder("utf-8", { fatal: true });

export function createFederationClient(deps: FederationClientDeps): FederationTransport {
  const defaultTimeout = deps.timeoutMs ?? FEDERATION_CLIENT_TIMEOUT_MS;
  const maxBytes = deps.maxResponseBytes ?? FEDERATION_MAX_RESPONSE_BYTES;

  async function perform(
    destination: string,
    request: { method: string; target: string; headers: Record<string, string>; body?: string },
    timeoutMs: number,
    respectBackoff: boolean,
  ): Promise<unknown> {
    const fail = (message: string, status?: number, errcode?: string, body?: unknown) => new FederationRequestError(destination, message, status, errcode, body);
    const retryAt = deps.backoff.retryAfter(destination);
    if (respectBackoff && retryAt !== null) throw fail(`not retrying ${destination} before ${new Date(retryAt).toISOString()} (backoff)`);
    const signal = AbortSignal.timeout(timeoutMs);
    let answer: FetchedAnswer;
    try {
      const server = await abortable(deps.resolver.resolve(destination), signal);
      answer = await deps.https.send(server, { ...request, signal, maxBytes });
    } catch (error) {
      deps.backoff.failed(destination);
      if (signal.aborted) throw fail(`no answer from ${destination} within ${timeoutMs} ms`);
      throw fail(`cannot reach ${destination}: ${(error as Error).message ?? error}`);
    }
    // Synapse's rule: 5xx and 429 say the destination is unwell; other answers say it is up.
    if (answer.status >= 500 || answer.status === 429) deps.backoff.failed(destination);
    else deps.backoff.succeeded(destination);
    if (answer.body === null) throw fail(`response of ${destination} exceeds ${maxBytes} bytes`, answer.status);
    let parsed: unknown;
    let isJson = true;
    try {
      parsed = JSON.parse(utf8.decode(answer.body));
    } catch {
      isJson = false;
    }
    if (answer.status < 200 || answer.status >= 300) {
      const errcode = isJson ? (parsed as { errcode?: unknown } | null)?.errcode : undefined;
      const message = isJson ? (parsed as { error?: unknown } | null)?.error : undefined;
      throw fail(
        `${destination} answered ${answer.status}${typeof message === "string" ? `: ${message}` : ""}`,
        answer.status, typeof errcode === "string" ? errcode : undefined, isJson ? parsed : undefined,
      );
    }
    const contentType = answer.headers.get("content-type") ?? "";
    if (!isJson || !/^application\/json\s*(;|$)/i.test(contentType)) throw fail(`${destination} answered without a JSON body`, answer.status);
    return parsed;
  }

  return {
    async signed<T>(destination: string, request: FederationRequest): Promise<T> {
      const target = requestTarget(request.path, request.query);
      // The spec: PUT and POST always carry a (possibly empty) JSON object.
      const content = request.body ?? (request.method === "PUT" || request.method === "POST" ? {} : undefined);
      const authorization = xMatrixAuthorization(
        { method: request.method, uri: target, origin: deps.serverName, destination, content },
        deps.signingKey, deps.ed25519, deps.canonicalJson,
      );
      const headers: Record<string, string> = { Authorization: authorization, Accept: "application/json" };
      if (content !== undefined) headers["Content-Type"] = "application/json";
      const body = content === undefined ? undefined : JSON.stringify(content);
      return (await perform(destination, { method: request.method, target, headers, body }, request.timeoutMs ?? defaultTimeout, true)) as T;
    },
    async unsigned<T>(destination: string, path: string, options: { timeoutMs?: number } = {}): Promise<T> {
      // Key requests ignore backoff, as in Synapse: they are how a server is found to be back.
      const target = requestTarget(path);
      return (await perform(destination, { method: "GET", target, headers: { Accept: "application/json" } }, options.timeoutMs ?? defaultTimeout, false)) as T;
    },
  };
}

function abortable<T>(promise: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) return Promise.reject(signal.reason);
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(signal.reason);
    signal.addEventListener("abort", onAbort, { once: true });
    promise.then(resolve, reject).finally(() => signal.removeEventListener("abort", onAbort));
  });
}

/** The client as the config describes it: the composition root's one call. */
export function federationClientFromConfig(options: {
  config: Pick<Config, "server_name" | "federation_verify_certificates" | "ip_range_blacklist" | "ip_range_whitelist" | "federation">;
  signingKey: SigningKey;
  ed25519: Ed25519;
  canonicalJson?: CanonicalEncoder;
  /** Tests: DNS, a clock and a response cap of their own. */
  dns?: Dns;
  now?: () => number;
  maxResponseBytes?: number;
}): FederationClient {
  const { config } = options;
  const policy = outboundPolicy(parseRanges(config.ip_range_blacklist, "ip_range_blacklist"), parseRanges(config.ip_range_whitelist, "ip_range_whitelist"));
  const dns = options.dns ?? systemDns;
  const https = createOutboundHttps({ dns, policy, verifyCertificates: config.federation_verify_certificates });
  const timeoutMs = parseDuration(config.federation.client_timeout)!;
  const wellKnownGet = async (url: URL, maxBytes: number) =>
    https.send(serverOfUrl(url), { method: "GET", target: url.pathname + url.search, headers: {}, signal: AbortSignal.timeout(timeoutMs), maxBytes });
  const parts = {
    serverName: config.server_name,
    signingKey: options.signingKey,
    ed25519: options.ed25519,
    canonicalJson: options.canonicalJson,
    resolver: createServerResolver({ dns, httpsGet: wellKnownGet, now: options.now }),
    https,
    backoff: createDestinationBackoff(
      {
        minIntervalMs: parseDuration(config.federation.destination_min_retry_interval)!,
        multiplier: config.federation.destination_retry_multiplier,
        maxIntervalMs: parseDuration(config.federation.destination_max_retry_interval)!,
      },
      options.now,
    ),
  };
  const transport = createFederationClient({ ...parts, timeoutMs, maxResponseBytes: options.maxResponseBytes });
  return Object.assign(transport, { media: createFederationMediaClient(parts) });
}

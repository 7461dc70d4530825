// Signed federation GETs whose answer is bytes, not JSON: the media endpoints answer
// multipart/mixed, which FederationTransport (JSON only) cannot return. It shares the main
// client's parts (./client.ts federationClientFromConfig: discovery and its cache, HTTPS under
// the IP policy, per-destination backoff); the answer's status, headers and capped body are
// handed back as they are. It fits the media repository's RemoteMediaSource (src/media/remote-source.ts).
// Limit: a `Location` redirect is fetched over HTTPS only, under the same IP policy.
// https://spec.matrix.org/v1.19/server-server-api/#content-repository
import { xMatrixAuthorization } from "../auth/x-matrix.ts";
import type { FederationClientDeps } from "./client.ts";
import { requestTarget } from "./client-target.ts";
import { serverOfUrl, type FetchedAnswer } from "./resolve.ts";
import { FederationRequestError } from "./transport.ts";

export interface RawGet {
  query?: Record<string, string>;
  /** A larger body is not read: the answer's body is null. */
  maxBytes: number;
  timeoutMs: number;
}

export interface FederationMediaClient {
  /** A GET signed with X-Matrix; throws FederationRequestError when no answer came. */
  signedGet(destination: string, path: string, request: RawGet): Promise<FetchedAnswer>;
  /** An unsigned GET of an https URL (a media answer's Location). */
  getUrl(url: string, request: Omit<RawGet, "query">): Promise<FetchedAnswer>;
}

/** The main client's parts (./client.ts), shared so discovery's cache and the backoff are one. */
export function createFederationMediaClient(deps: Omit<FederationClientDeps, "timeoutMs" | "maxResponseBytes">): FederationMediaClient {
  return {
    async signedGet(destination, path, request) {
      const retryAt = deps.backoff.retryAfter(destination);
      if (retryAt !== null) throw new FederationRequestError(destination, `not retrying ${destination} before ${new Date(retryAt).toISOString()} (backoff)`);
      const target = requestTarget(path, request.query);
      const authorization = xMatrixAuthorization({ method: "GET", uri: target, origin: deps.serverName, destination }, deps.signingKey, deps.ed25519, deps.canonicalJson);
      const signal = AbortSignal.timeout(request.timeoutMs);
      let answer: FetchedAnswer;
      try {
        const server = await deps.resolver.resolve(destination);
        answer = await deps.https.send(server, { method: "GET", target, headers: { Authorization: authorization }, signal, maxBytes: request.maxBytes });
      } catch (error) {
        deps.backoff.failed(destination);
        throw new FederationRequestError(destination, `cannot fetch media from ${destination}: ${(error as Error).message ?? error}`);
      }
      if (answer.status >= 500 || answer.status === 429) deps.backoff.failed(destination);
      else deps.backoff.succeeded(destination);
      return answer;
    },
    async getUrl(text, request) {
      let url: URL;
      try {
        url = new URL(text);
      } catch {
        throw new FederationRequestError(text, "the media answer's Location is not a URL");
      }
      if (url.protocol !== "https:") throw new FederationRequestError(url.host, "the media answer's Location is not https");
      const signal = AbortSignal.timeout(request.timeoutMs);
      try {
        return await deps.https.send(serverOfUrl(url), { method: "GET", target: url.pathname + url.search, headers: {}, signal, maxBytes: request.maxBytes });
      } catch (error) {
        throw new FederationRequestError(url.host, `cannot fetch ${url.host}: ${(error as Error).message ?? error}`);
      }
    },
  };
}

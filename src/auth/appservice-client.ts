// Requests from the homeserver to an application service: its URL, the hs_token as a Bearer
// token, a timeout. Used by the ping (below) and the transaction sender (src/appservice/).
// https://spec.matrix.org/v1.19/application-service-api/#authorisation
// https://spec.matrix.org/v1.19/application-service-api/#pinging
import { MatrixError } from "../protocol/matrix-error.ts";
import type { AppServiceRegistration } from "./appservice-registry.ts";

export interface AppServiceResponse {
  status: number;
  /** The body as text (error bodies are shown to the AS as they came). */
  text: string;
  /** The body parsed as JSON, or undefined when it is not JSON. */
  json: unknown;
}

/** Why a call did not get an HTTP answer. */
export class AppServiceCallError extends Error {
  override name = "AppServiceCallError";
  constructor(readonly reason: "no_url" | "timeout" | "connection", message: string) {
    super(message);
  }
}

export interface AppServiceClient {
  /** Any HTTP answer resolves; no URL, a timeout or a failed connection reject with AppServiceCallError. */
  call(registration: AppServiceRegistration, method: "GET" | "POST" | "PUT", path: string, body: unknown, options: { timeoutMs: number }): Promise<AppServiceResponse>;
}

/** `fetchImpl` is for tests. The IP blacklist does not apply: bridges usually run on the same host or network. */
export function createAppServiceClient(fetchImpl: typeof fetch = fetch): AppServiceClient {
  return {
    async call(registration, method, path, body, { timeoutMs }) {
      if (registration.url === null) throw new AppServiceCallError("no_url", "Application service has no URL");
      // The URL may carry a path ("May include a path after the domain name").
      const url = registration.url.replace(/\/+$/, "") + path;
      let response: Response;
      try {
        response = await fetchImpl(url, {
          method,
          headers: { Authorization: `Bearer ${registration.hsToken}`, ...(body === undefined ? {} : { "Content-Type": "application/json" }) },
          body: body === undefined ? undefined : JSON.stringify(body),
          signal: AbortSignal.timeout(timeoutMs),
          redirect: "manual",
        });
      } catch (error) {
        const name = (error as Error).name;
        if (name === "TimeoutError" || name === "AbortError") throw new AppServiceCallError("timeout", `${registration.id} did not answer within ${timeoutMs} ms`);
        throw new AppServiceCallError("connection", `cannot reach ${registration.id}: ${(error as Error).message}`);
      }
      let text: string;
      try {
        text = await response.text();
      } catch (error) {
        const name = (error as Error).name;
        throw new AppServiceCallError(name === "TimeoutError" || name === "AbortError" ? "timeout" : "connection", `${registration.id}: answer cut short`);
      }
      let json: unknown;
      try {
        json = JSON.parse(text);
      } catch {
        json = undefined;
      }
      return { status: response.status, text, json };
    },
  };
}

/** Limit: how long the homeserver waits for an AS's /ping answer. */
export const PING_TIMEOUT_MS = 15_000;
/** Limit: characters of an AS's error body passed back to the pinging AS. */
const MAX_ERROR_BODY = 1_000;

/**
 * POST /_matrix/client/v1/appservice/{appserviceId}/ping: calls the AS's /_matrix/app/v1/ping
 * and answers how long it took, or the spec's error for what went wrong.
 */
export async function pingAppService(
  client: AppServiceClient,
  registration: AppServiceRegistration,
  transactionId: string | undefined,
  options: { timeoutMs?: number; now?: () => number } = {},
): Promise<{ duration_ms: number }> {
  const now = options.now ?? performance.now.bind(performance);
  if (registration.url === null) throw new MatrixError(400, "M_URL_NOT_SET", "Application service doesn't have a URL configured");
  const started = now();
  let response: AppServiceResponse;
  try {
    response = await client.call(registration, "POST", "/_matrix/app/v1/ping", transactionId === undefined ? {} : { transaction_id: transactionId }, {
      timeoutMs: options.timeoutMs ?? PING_TIMEOUT_MS,
    });
  } catch (error) {
    if (!(error instanceof AppServiceCallError)) throw error;
    if (error.reason === "timeout") throw new MatrixError(504, "M_CONNECTION_TIMEOUT", "Connection to application service timed out");
    throw new MatrixError(502, "M_CONNECTION_FAILED", "Connection to application service failed");
  }
  if (response.status < 200 || response.status >= 300) {
    throw new MatrixError(502, "M_BAD_STATUS", `Ping returned status ${response.status}`, { status: response.status, body: response.text.slice(0, MAX_ERROR_BODY) });
  }
  return { duration_ms: Math.max(0, Math.round(now() - started)) };
}

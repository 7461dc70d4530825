// The HTTPS leg of federation requests: connects to a resolved server's addresses, one after
// another, with the Host header and certificate name discovery chose. Every address of a
// target must pass ip_range_blacklist / ip_range_whitelist (Synapse drops a name with any
// refused address), and the connection goes to the checked address itself, so a DNS answer
// that changes in between cannot redirect it. Redirects are never followed here.
// https://spec.matrix.org/v1.19/server-server-api/#tls
import { isIP } from "node:net";
import type { OutboundPolicy } from "../protocol/ip-ranges.ts";
import type { Dns, FetchedAnswer, ResolvedServer } from "./resolve.ts";

export interface HttpsRequest {
  method: string;
  /** Path and query, already normalised (what is sent is what was signed). */
  target: string;
  headers: Record<string, string>;
  body?: string;
  signal: AbortSignal;
  /** A larger response body is not read: the answer's body is null. */
  maxBytes: number;
}

/** No connection could be made (unresolvable, refused by policy, unreachable). */
export class ConnectError extends Error {
  override name = "ConnectError";
}

export interface OutboundHttps {
  send(server: ResolvedServer, request: HttpsRequest): Promise<FetchedAnswer>;
}

type Fetch = (url: string, init: RequestInit & { tls?: Record<string, unknown>; proxy?: false }) => Promise<Response>;

export function createOutboundHttps(deps: {
  dns: Dns;
  policy: OutboundPolicy;
  /** federation_verify_certificates. */
  verifyCertificates: boolean;
  fetch?: Fetch;
}): OutboundHttps {
  const fetchImpl: Fetch = deps.fetch ?? (fetch as unknown as Fetch);

  return {
    async send(server, request) {
      const failures: string[] = [];
      for (const target of server.targets) {
        let addresses: string[];
        try {
          addresses = isIP(target.host) ? [target.host] : await deps.dns.lookup(target.host);
        } catch (error) {
          failures.push(`cannot resolve ${target.host}: ${(error as { code?: string }).code ?? error}`);
          continue;
        }
        const refused = addresses.filter((address) => !deps.policy.allows(address));
        if (addresses.length === 0 || refused.length > 0) {
          failures.push(addresses.length === 0 ? `${target.host} has no address` : `${target.host} resolves to ${refused.join(", ")}, which ip_range_blacklist refuses`);
          continue;
        }
        for (const address of addresses) {
          if (request.signal.aborted) throw request.signal.reason;
          const host = isIP(address) === 6 ? `[${address}]` : address;
          let response: Response;
          try {
            response = await fetchImpl(`https://${host}:${target.port}${request.target}`, {
              method: request.method,
              headers: { ...request.headers, Host: server.hostHeader },
              body: request.body,
              redirect: "manual",
              signal: request.signal,
              // SNI carries the expected certificate name, except for an IP address (no SNI then).
              tls: { rejectUnauthorized: deps.verifyCertificates, ...(isIP(server.tlsName) ? {} : { serverName: server.tlsName }) },
              // Straight to the checked address: a proxy would connect elsewhere.
              proxy: false,
            });
          } catch (error) {
            if (request.signal.aborted) throw request.signal.reason;
            failures.push(`${address}:${target.port}: ${(error as { code?: string }).code ?? error}`);
            continue;
          }
          return { status: response.status, headers: response.headers, body: await readCapped(response, request.maxBytes) };
        }
      }
      throw new ConnectError(failures.join("; ") || "no address to connect to");
    },
  };
}

/** The body, or null past `maxBytes` (declared or streamed); stops reading at the cap. */
async function readCapped(response: Response, maxBytes: number): Promise<Uint8Array | null> {
  const declared = response.headers.get("content-length");
  if (declared !== null && Number(declared) > maxBytes) {
    await response.body?.cancel().catch(() => {});
    return null;
  }
  if (!response.body) return new Uint8Array(0);
  const chunks: Uint8Array[] = [];
  let total = 0;
  const reader = response.body.getReader();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    total += value.byteLength;
    if (total > maxBytes) {
      await reader.cancel().catch(() => {});
      return null;
    }
    chunks.push(value);
  }
  return Buffer.concat(chunks);
}

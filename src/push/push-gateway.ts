// POST /_matrix/push/v1/notify to a push gateway, after checking where it goes: the host's
// addresses must all pass ip_range_blacklist / ip_range_whitelist. The check runs before the
// request, and fetch resolves the name again when it connects: a name whose answer changes in
// between (DNS rebinding) can slip through. Redirects are not followed (they would skip the check).
// https://spec.matrix.org/v1.19/push-gateway-api/#post_matrixpushv1notify
import { lookup } from "node:dns/promises";
import type { OutboundPolicy } from "../protocol/ip-ranges.ts";
import { parseIp } from "../protocol/ip-ranges.ts";

/** What became of one request: the gateway's `rejected` pushkeys, or why it failed. */
export type GatewayOutcome = { ok: true; rejected: string[] } | { ok: false; reason: string };

export interface PushGateway {
  notify(url: string, body: unknown, timeoutMs: number, signal?: AbortSignal): Promise<GatewayOutcome>;
}

export function createPushGateway(deps: {
  policy: OutboundPolicy;
  /** Name resolution (tests may pass their own). */
  resolve?: (host: string) => Promise<string[]>;
}): PushGateway {
  const resolve = deps.resolve ?? (async (host: string) => (await lookup(host, { all: true })).map((entry) => entry.address));

  /** Null when the host may be contacted, else why not. */
  async function refusal(url: URL): Promise<string | null> {
    const host = url.hostname.replace(/^\[|\]$/g, "");
    let addresses: string[];
    try {
      addresses = parseIp(host) ? [host] : await resolve(host);
    } catch (error) {
      return `cannot resolve ${host}: ${String(error)}`;
    }
    if (addresses.length === 0) return `${host} has no address`;
    // Every address must pass: fetch picks one itself, so one refused address is refused for all.
    const refused = addresses.filter((address) => !deps.policy.allows(address));
    return refused.length > 0 ? `${host} resolves to ${refused.join(", ")}, which ip_range_blacklist refuses` : null;
  }

  return {
    async notify(text, body, timeoutMs, signal) {
      let url: URL;
      try {
        url = new URL(text);
      } catch {
        return { ok: false, reason: "the pusher's url is not a URL" };
      }
      const refused = await refusal(url);
      if (refused) return { ok: false, reason: refused };
      const timeout = AbortSignal.timeout(timeoutMs);
      try {
        const response = await fetch(url, {
          method: "POST",
          headers: { "content-type": "application/json" },
          body: JSON.stringify(body),
          redirect: "manual",
          signal: signal ? AbortSignal.any([signal, timeout]) : timeout,
        });
        const answer = await response.text();
        if (!response.ok) return { ok: false, reason: `the gateway answered ${response.status}` };
        let parsed: unknown;
        try {
          parsed = JSON.parse(answer);
        } catch {
          return { ok: false, reason: "the gateway's answer is not JSON" };
        }
        const rejected = (parsed as { rejected?: unknown } | null)?.rejected;
        return { ok: true, rejected: Array.isArray(rejected) ? rejected.filter((key): key is string => typeof key === "string") : [] };
      } catch (error) {
        return { ok: false, reason: timeout.aborted ? `no answer within ${timeoutMs} ms` : String(error) };
      }
    },
  };
}

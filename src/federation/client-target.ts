// The request target of a federation request, as signed and as sent.
import type { FederationRequest } from "./transport.ts";

/** Query values encoded so that URL parsing leaves them as they are (what is signed is sent). */
const encodeQueryPart = (text: string) => encodeURIComponent(text).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);

/** The request target ("/path?query") in the normal form fetch will send. */
export function requestTarget(path: string, query: FederationRequest["query"] = {}): string {
  if (!path.startsWith("/")) throw new Error(`federation path ${JSON.stringify(path)} does not start with /`);
  const pairs = Object.entries(query).flatMap(([name, values]) =>
    (typeof values === "string" ? [values] : values).map((value) => `${encodeQueryPart(name)}=${encodeQueryPart(value)}`),
  );
  const url = new URL(`${path}${pairs.length > 0 ? `?${pairs.join("&")}` : ""}`, "https://placeholder");
  return url.pathname + url.search;
}

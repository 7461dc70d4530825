// Identifier grammar: https://spec.matrix.org/v1.19/appendices/#identifier-grammar
// Branded types exist only after a parser accepted the text.

declare const brand: unique symbol;
export type Brand<T, B extends string> = T & { readonly [brand]: B };

export type ServerName = Brand<string, "ServerName">;

const IPV4 = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/;
const IPV6 = /^\[[0-9A-Fa-f:.]{2,45}\]$/;
const DNS_NAME = /^[A-Za-z0-9.-]{1,255}$/;

export interface ParsedServerName {
  host: string;
  port?: number;
}

/** Splits and checks a server name (https://spec.matrix.org/v1.19/appendices/#server-name). */
export function parseServerName(text: string): ParsedServerName | null {
  const match = /^(\[[^\]]*\]|[^:]*)(?::(\d{1,5}))?$/.exec(text);
  if (!match) return null;
  const host = match[1]!;
  const port = match[2] === undefined ? undefined : Number(match[2]);
  if (port !== undefined && (port < 1 || port > 65535)) return null;
  const ipv4 = IPV4.exec(host);
  if (ipv4) {
    if (ipv4.slice(1).some((part) => Number(part) > 255)) return null;
  } else if (!IPV6.test(host) && !DNS_NAME.test(host)) {
    return null;
  }
  return port === undefined ? { host } : { host, port };
}

export function isServerName(text: string): text is ServerName {
  return parseServerName(text) !== null;
}

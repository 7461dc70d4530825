// IP address ranges in CIDR notation, and the outbound policy Synapse's ip_range_blacklist and
// ip_range_whitelist describe (applied to push gateway and federation requests). An IPv4-mapped IPv6
// address (::ffff:10.0.0.1) is matched as the IPv4 address it carries.
import { isIP } from "node:net";

export interface IpRange {
  version: 4 | 6;
  /** The network address as a number. */
  base: bigint;
  prefix: number;
}

export interface IpAddress {
  version: 4 | 6;
  value: bigint;
}

const BITS = { 4: 32, 6: 128 } as const;
const MAPPED_V4 = 0xffffn << 32n;

function parseV4(text: string): bigint {
  return text.split(".").reduce((value, part) => (value << 8n) | BigInt(Number(part)), 0n);
}

function parseV6(text: string): bigint {
  // An embedded IPv4 address ends the text (::ffff:1.2.3.4): rewritten as its two groups.
  const lastColon = text.lastIndexOf(":");
  const last = text.slice(lastColon + 1);
  const groups = last.includes(".") ? `${text.slice(0, lastColon + 1)}${(parseV4(last) >> 16n).toString(16)}:${(parseV4(last) & 0xffffn).toString(16)}` : text;
  const parse = (part: string) => (part === "" ? [] : part.split(":").map((group) => BigInt(parseInt(group, 16))));
  const [head = "", rest] = groups.split("::");
  const left = parse(head);
  const right = rest === undefined ? [] : parse(rest);
  const all = [...left, ...Array<bigint>(8 - left.length - right.length).fill(0n), ...right];
  return all.reduce((value, group) => (value << 16n) | group, 0n);
}

/** An IPv4 or IPv6 address (zone ids and IPv6 brackets are dropped); null if it is not one. */
export function parseIp(text: string): IpAddress | null {
  const bare = text.replace(/^\[|\]$/g, "").replace(/%.*$/, "");
  const version = isIP(bare);
  if (version === 4) return { version: 4, value: parseV4(bare) };
  if (version === 6) return { version: 6, value: parseV6(bare.toLowerCase()) };
  return null;
}

/** "10.0.0.0/8", "fe80::/10", or a single address; null if it is not a range. */
export function parseRange(text: string): IpRange | null {
  const [address, prefixText, extra] = text.trim().split("/");
  if (extra !== undefined || address === undefined) return null;
  const ip = parseIp(address);
  if (!ip) return null;
  const bits = BITS[ip.version];
  if (prefixText !== undefined && !/^\d{1,3}$/.test(prefixText)) return null;
  const prefix = prefixText === undefined ? bits : Number(prefixText);
  if (prefix > bits) return null;
  const mask = ((1n << BigInt(prefix)) - 1n) << BigInt(bits - prefix);
  return { version: ip.version, base: ip.value & mask, prefix };
}

export function inRange(address: IpAddress, range: IpRange): boolean {
  // IPv4-mapped IPv6 addresses are matched against IPv4 ranges.
  const ip = address.version === 6 && address.value >> 32n === 0xffffn ? { version: 4 as const, value: address.value - MAPPED_V4 } : address;
  if (ip.version !== range.version) return false;
  const shift = BigInt(BITS[range.version] - range.prefix);
  return ip.value >> shift === range.base >> shift;
}

/** Parses a config list; the error names the option and the entry. */
export function parseRanges(texts: readonly string[], option: string): IpRange[] {
  return texts.map((text, i) => {
    const range = parseRange(text);
    if (!range) throw new Error(`${option}[${i}]: "${text}" is not an IP address or CIDR range`);
    return range;
  });
}

/** 0.0.0.0 and :: are refused whatever the lists say, as in Synapse: they are not routable. */
const ALWAYS_REFUSED = [parseRange("0.0.0.0/32")!, parseRange("::/128")!];

export interface OutboundPolicy {
  /** Whether a request may be sent to this address. */
  allows(address: string): boolean;
}

/** Synapse's rule: an address in the whitelist is allowed; otherwise one in the blacklist is refused. */
export function outboundPolicy(blacklist: readonly IpRange[], whitelist: readonly IpRange[]): OutboundPolicy {
  return {
    allows(text) {
      const address = parseIp(text);
      if (!address || ALWAYS_REFUSED.some((range) => inRange(address, range))) return false;
      if (whitelist.some((range) => inRange(address, range))) return true;
      return !blacklist.some((range) => inRange(address, range));
    },
  };
}

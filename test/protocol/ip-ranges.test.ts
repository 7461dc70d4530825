// CIDR parsing and matching, and the blacklist/whitelist policy for push gateway requests.
import { describe, expect, test } from "bun:test";
import { ConfigSchema } from "../../src/config/schema.ts";
import { inRange, outboundPolicy, parseIp, parseRange, parseRanges } from "../../src/protocol/ip-ranges.ts";

const synapseDefaults = (ConfigSchema.properties.ip_range_blacklist as { default: string[] }).default;
const within = (address: string, range: string) => inRange(parseIp(address)!, parseRange(range)!);

describe("parseRange", () => {
  test("IPv4 and IPv6 ranges, single addresses as /32 and /128", () => {
    expect(parseRange("10.1.2.3/8")).toEqual({ version: 4, base: 0x0a000000n, prefix: 8 });
    expect(parseRange("192.168.1.1")).toEqual({ version: 4, base: 0xc0a80101n, prefix: 32 });
    expect(parseRange("fe80::/10")).toEqual({ version: 6, base: 0xfe80n << 112n, prefix: 10 });
    expect(parseRange("::1")).toEqual({ version: 6, base: 1n, prefix: 128 });
  });

  test("refuses what is not a range", () => {
    for (const text of ["", "10.0.0.0/33", "::/129", "10.0.0/8", "256.0.0.1", "example.org", "10.0.0.0/8/1", "10.0.0.0/-1", "1:2:3:4:5:6:7:8:9"]) {
      expect(parseRange(text)).toBeNull();
    }
    expect(() => parseRanges(["10.0.0.0/8", "nope"], "ip_range_blacklist")).toThrow('ip_range_blacklist[1]: "nope"');
  });

  test("every range of Synapse's default blacklist parses", () => {
    expect(parseRanges(synapseDefaults, "ip_range_blacklist")).toHaveLength(19);
  });
});

describe("inRange", () => {
  test("IPv4 prefixes", () => {
    expect(within("172.16.0.1", "172.16.0.0/12")).toBe(true);
    expect(within("172.31.255.255", "172.16.0.0/12")).toBe(true);
    expect(within("172.32.0.0", "172.16.0.0/12")).toBe(false);
    expect(within("8.8.8.8", "0.0.0.0/0")).toBe(true);
  });

  test("IPv6 prefixes, compressed forms and embedded IPv4", () => {
    expect(within("fe80::1", "fe80::/10")).toBe(true);
    expect(within("febf:ffff::1", "fe80::/10")).toBe(true);
    expect(within("fec0::1", "fe80::/10")).toBe(false);
    expect(within("2001:db8:0:0:0:0:0:1", "2001:db8::/32")).toBe(true);
    expect(within("2001:db9::1", "2001:db8::/32")).toBe(false);
    expect(within("::ffff:10.1.2.3", "10.0.0.0/8")).toBe(true);
    expect(within("::ffff:a01:203", "10.0.0.0/8")).toBe(true);
  });

  test("an IPv4 address never matches an IPv6 range, nor the reverse", () => {
    expect(within("10.0.0.1", "::/0")).toBe(false);
    expect(within("::1", "0.0.0.0/0")).toBe(false);
  });
});

describe("outboundPolicy", () => {
  const policy = outboundPolicy(parseRanges(synapseDefaults, "b"), parseRanges(["192.168.1.1", "fd00::/8"], "w"));

  test("Synapse's defaults refuse loopback, private and link-local addresses, IPv4 and IPv6", () => {
    for (const address of ["127.0.0.1", "10.9.8.7", "172.20.0.1", "192.168.2.1", "169.254.169.254", "100.64.0.1", "::1", "fe80::1", "fc00::1", "ff02::1", "::ffff:127.0.0.1"]) {
      expect([address, policy.allows(address)]).toEqual([address, false]);
    }
  });

  test("public addresses pass; the whitelist overrides the blacklist", () => {
    for (const address of ["8.8.8.8", "2606:4700::1111", "192.168.1.1", "fd12::1", "[2606:4700::1111]"]) {
      expect([address, policy.allows(address)]).toEqual([address, true]);
    }
  });

  test("0.0.0.0, :: and non-addresses are refused whatever the lists say", () => {
    const open = outboundPolicy([], parseRanges(["0.0.0.0/0", "::/0"], "w"));
    expect(open.allows("0.0.0.0")).toBe(false);
    expect(open.allows("::")).toBe(false);
    expect(open.allows("example.org")).toBe(false);
    expect(open.allows("1.2.3.4")).toBe(true);
  });
});

// Server discovery, every step of the spec's "Resolving server names", with fake DNS and a
// fake well-known fetch; and the well-known cache bounds.
import { describe, expect, test } from "bun:test";
import {
  cachePeriod, createServerResolver, WELL_KNOWN_DEFAULT_CACHE_MS, WELL_KNOWN_DOWN_CACHE_MS, WELL_KNOWN_INVALID_CACHE_MS,
  WELL_KNOWN_MAX_BYTES, WELL_KNOWN_MAX_CACHE_MS, WELL_KNOWN_MIN_CACHE_MS, type FetchedAnswer, type SrvRecord,
} from "../../src/federation/resolve.ts";

type WellKnown = FetchedAnswer | "unreachable";
const json = (value: unknown, headers: Record<string, string> = {}, status = 200): FetchedAnswer => ({
  status, headers: new Headers(headers), body: new TextEncoder().encode(JSON.stringify(value)),
});

function setup(options: { srv?: Record<string, SrvRecord[] | Error>; wellKnown?: Record<string, WellKnown> } = {}) {
  const clock = { now: 1_000_000 };
  const fetched: string[] = [];
  const srvAsked: string[] = [];
  const resolver = createServerResolver({
    now: () => clock.now,
    random: () => 0.5,
    dns: {
      resolveSrv: async (name) => {
        srvAsked.push(name);
        const answer = options.srv?.[name];
        if (answer instanceof Error) throw answer;
        if (!answer) throw Object.assign(new Error("not found"), { code: "ENOTFOUND" });
        return answer;
      },
      lookup: async () => { throw new Error("the resolver does not look up addresses"); },
    },
    httpsGet: async (url, maxBytes) => {
      fetched.push(url.href);
      const answer = options.wellKnown?.[url.href];
      if (!answer || answer === "unreachable") throw new Error("connection refused");
      return { ...answer, body: answer.body && answer.body.byteLength > maxBytes ? null : answer.body };
    },
  });
  return { resolver, clock, fetched, srvAsked };
}
const wk = (host: string) => `https://${host}/.well-known/matrix/server`;
const srv = (name: string, port: number, priority = 10, weight = 0): SrvRecord => ({ name, port, priority, weight });

describe("resolving server names", () => {
  test("1: an IP literal, with or without port; the certificate must hold the IP", async () => {
    const { resolver, fetched } = setup();
    expect(await resolver.resolve("1.2.3.4")).toEqual({ targets: [{ host: "1.2.3.4", port: 8448 }], hostHeader: "1.2.3.4", tlsName: "1.2.3.4" });
    expect(await resolver.resolve("[2001:db8::1]:8000")).toEqual({ targets: [{ host: "2001:db8::1", port: 8000 }], hostHeader: "[2001:db8::1]:8000", tlsName: "2001:db8::1" });
    expect(fetched).toEqual([]);
  });
  test("2: a host name with a port: no well-known, no SRV", async () => {
    const { resolver, fetched, srvAsked } = setup();
    expect(await resolver.resolve("example.org:1234")).toEqual({ targets: [{ host: "example.org", port: 1234 }], hostHeader: "example.org:1234", tlsName: "example.org" });
    expect([fetched, srvAsked]).toEqual([[], []]);
  });
  test("3.1: well-known delegating to an IP literal", async () => {
    const { resolver } = setup({ wellKnown: { [wk("example.org")]: json({ "m.server": "5.6.7.8" }) } });
    expect(await resolver.resolve("example.org")).toEqual({ targets: [{ host: "5.6.7.8", port: 8448 }], hostHeader: "5.6.7.8", tlsName: "5.6.7.8" });
  });
  test("3.2: well-known delegating to a host name with a port", async () => {
    const { resolver, srvAsked } = setup({ wellKnown: { [wk("example.org")]: json({ "m.server": "matrix.example.net:443" }) } });
    expect(await resolver.resolve("example.org")).toEqual({ targets: [{ host: "matrix.example.net", port: 443 }], hostHeader: "matrix.example.net:443", tlsName: "matrix.example.net" });
    expect(srvAsked).toEqual([]);
  });
  test("3.3: delegated name without port: _matrix-fed._tcp SRV, Host and certificate of the delegated name", async () => {
    const { resolver } = setup({
      wellKnown: { [wk("example.org")]: json({ "m.server": "matrix.example.net" }) },
      srv: { "_matrix-fed._tcp.matrix.example.net": [srv("b.example.net.", 8449, 20), srv("a.example.net.", 8448, 10)] },
    });
    expect(await resolver.resolve("example.org")).toEqual({
      targets: [{ host: "a.example.net", port: 8448 }, { host: "b.example.net", port: 8449 }], hostHeader: "matrix.example.net", tlsName: "matrix.example.net",
    });
  });
  test("3.4: the deprecated _matrix._tcp SRV when _matrix-fed has none", async () => {
    const { resolver, srvAsked } = setup({
      wellKnown: { [wk("example.org")]: json({ "m.server": "matrix.example.net" }) },
      srv: { "_matrix._tcp.matrix.example.net": [srv("old.example.net", 1111)] },
    });
    expect((await resolver.resolve("example.org")).targets).toEqual([{ host: "old.example.net", port: 1111 }]);
    expect(srvAsked).toEqual(["_matrix-fed._tcp.matrix.example.net", "_matrix._tcp.matrix.example.net"]);
  });
  test("3.5: delegated name without port or SRV: port 8448", async () => {
    const { resolver } = setup({ wellKnown: { [wk("example.org")]: json({ "m.server": "matrix.example.net" }) } });
    expect(await resolver.resolve("example.org")).toEqual({ targets: [{ host: "matrix.example.net", port: 8448 }], hostHeader: "matrix.example.net", tlsName: "matrix.example.net" });
  });
  test("4 and 5: no well-known: SRV of the name itself (_matrix-fed, then _matrix); Host is the name", async () => {
    const fed = setup({ srv: { "_matrix-fed._tcp.example.org": [srv("fed.example.org", 443)], "_matrix._tcp.example.org": [srv("old.example.org", 1)] } });
    expect(await fed.resolver.resolve("example.org")).toEqual({ targets: [{ host: "fed.example.org", port: 443 }], hostHeader: "example.org", tlsName: "example.org" });
    const old = setup({ srv: { "_matrix._tcp.example.org": [srv("old.example.org", 1)] } });
    expect((await old.resolver.resolve("example.org")).targets).toEqual([{ host: "old.example.org", port: 1 }]);
  });
  test("6: nothing found: the name on port 8448", async () => {
    const { resolver, fetched } = setup();
    expect(await resolver.resolve("example.org")).toEqual({ targets: [{ host: "example.org", port: 8448 }], hostHeader: "example.org", tlsName: "example.org" });
    expect(fetched).toEqual([wk("example.org")]);
  });
  test("SRV: '.' means no service; a DNS failure other than 'no such name' is an error", async () => {
    await expect(setup({ srv: { "_matrix-fed._tcp.example.org": [srv(".", 0)] } }).resolver.resolve("example.org")).rejects.toThrow("not available");
    await expect(setup({ srv: { "_matrix-fed._tcp.example.org": Object.assign(new Error("x"), { code: "ESERVFAIL" }) } }).resolver.resolve("example.org")).rejects.toThrow("ESERVFAIL");
  });
  test("invalid server names are refused", async () => {
    for (const name of ["", "exa mple.org", "example.org:0", "example.org:99999", "a/b", "[::1"]) {
      await expect(setup().resolver.resolve(name)).rejects.toThrow("not a server name");
    }
  });
});

describe("the well-known answer", () => {
  const cases: Record<string, WellKnown> = {
    "a non-200 answer": json({ "m.server": "x.example:1" }, {}, 404),
    "bad JSON": { status: 200, headers: new Headers(), body: new TextEncoder().encode("{nope") },
    "a JSON array": json([{ "m.server": "x.example:1" }]),
    "no m.server": json({ server: "x.example:1" }),
    "an m.server that is not a server name": json({ "m.server": "https://x.example/" }),
    "a body over the size limit": json({ "m.server": "x.example:1", filler: "x".repeat(WELL_KNOWN_MAX_BYTES) }),
    "an unreachable host": "unreachable",
  };
  for (const [name, answer] of Object.entries(cases)) {
    test(`${name} is ignored (step 4 on)`, async () => {
      const { resolver } = setup({ wellKnown: { [wk("example.org")]: answer } });
      expect(await resolver.resolve("example.org")).toEqual({ targets: [{ host: "example.org", port: 8448 }], hostHeader: "example.org", tlsName: "example.org" });
    });
  }
  test("redirects are followed (loops and non-HTTPS targets are not)", async () => {
    const redirect = (location: string) => ({ status: 301, headers: new Headers({ location }), body: new Uint8Array() });
    const { resolver, fetched } = setup({
      wellKnown: { [wk("example.org")]: redirect("https://www.example.org/mx"), "https://www.example.org/mx": json({ "m.server": "m.example.org:1" }) },
    });
    expect((await resolver.resolve("example.org")).targets).toEqual([{ host: "m.example.org", port: 1 }]);
    expect(fetched).toEqual([wk("example.org"), "https://www.example.org/mx"]);
    const loop = setup({ wellKnown: { [wk("a.example")]: redirect("https://b.example/x"), "https://b.example/x": redirect(wk("a.example")) } });
    expect((await loop.resolver.resolve("a.example")).hostHeader).toBe("a.example");
    expect(loop.fetched).toHaveLength(2);
    const plain = setup({ wellKnown: { [wk("a.example")]: redirect("http://a.example/x") } });
    expect((await plain.resolver.resolve("a.example")).hostHeader).toBe("a.example");
  });
  test("answers are cached per Cache-Control; failures for an hour, or 2 minutes after a recent valid answer", async () => {
    const wellKnown: Record<string, WellKnown> = { [wk("example.org")]: json({ "m.server": "m.example.org:1" }, { "cache-control": "max-age=600" }) };
    const { resolver, clock, fetched } = setup({ wellKnown });
    await resolver.resolve("example.org");
    wellKnown[wk("example.org")] = "unreachable";
    clock.now += 599_000;
    expect((await resolver.resolve("example.org")).hostHeader).toBe("m.example.org:1");
    expect(fetched).toHaveLength(1);
    clock.now += 2_000;
    expect((await resolver.resolve("example.org")).hostHeader).toBe("example.org");
    expect(fetched).toHaveLength(2);
    clock.now += WELL_KNOWN_DOWN_CACHE_MS + 1;
    await resolver.resolve("example.org");
    expect(fetched).toHaveLength(3);
    // No valid answer in the last two hours: the failure is kept for about an hour.
    clock.now += 2 * 3600_000;
    await resolver.resolve("example.org");
    clock.now += WELL_KNOWN_INVALID_CACHE_MS * 0.9;
    await resolver.resolve("example.org");
    expect(fetched).toHaveLength(4);
  });
  test("cache periods stay within Synapse's bounds", () => {
    const at = (headers: Record<string, string>) => cachePeriod(new Headers(headers), Date.parse("2026-01-01T00:00:00Z"), () => 0.5);
    expect(at({})).toBe(WELL_KNOWN_DEFAULT_CACHE_MS);
    expect(at({ "cache-control": "public, max-age=3600" })).toBe(3600_000);
    expect(at({ "cache-control": "max-age=999999999" })).toBe(WELL_KNOWN_MAX_CACHE_MS);
    expect(at({ "cache-control": "no-store" })).toBe(WELL_KNOWN_MIN_CACHE_MS);
    expect(at({ "cache-control": "max-age=1" })).toBe(WELL_KNOWN_MIN_CACHE_MS);
    expect(at({ expires: "Thu, 01 Jan 2026 02:00:00 GMT" })).toBe(2 * 3600_000);
    expect(at({ expires: "garbage" })).toBe(WELL_KNOWN_DEFAULT_CACHE_MS);
  });
});

test("concurrent resolutions of one name share its well-known fetch", async () => {
  const { resolver, fetched } = setup({ wellKnown: { [wk("example.org")]: json({ "m.server": "m.example.org:1" }) } });
  const all = await Promise.all([resolver.resolve("example.org"), resolver.resolve("example.org"), resolver.resolve("example.org")]);
  expect(all.map((resolved) => resolved.hostHeader)).toEqual(["m.example.org:1", "m.example.org:1", "m.example.org:1"]);
  expect(fetched).toHaveLength(1);
});

// Registration files: parsed at start, refused with one line naming the file and key; namespace matching.
import { describe, expect, test } from "bun:test";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { loadAppServices } from "../../src/auth/appservices.ts";
import { ConfigError, loadConfig } from "../../src/config/load.ts";

const folder = mkdtempSync(join(tmpdir(), "myelin-as-parse-"));
let n = 0;
const file = (text: string) => {
  const path = join(folder, `as${++n}.yaml`);
  writeFileSync(path, text);
  return path;
};
const VALID = "id: a\nurl: http://localhost:9000\nas_token: at\nhs_token: ht\nsender_localpart: bot\nnamespaces:\n  users: [{ exclusive: true, regex: '@_a_.*' }]\n";
const refusal = (paths: string[]): string => {
  try {
    loadAppServices(paths, "example.org");
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return (error as Error).message;
  }
  throw new Error("not refused");
};

describe("loadAppServices", () => {
  test("reads a registration with its defaults and MSC2409's unstable name", () => {
    const registry = loadAppServices([file(VALID + "de.sorunome.msc2409.push_ephemeral: true\nprotocols: [irc]\n")], "example.org");
    const [r] = registry.all();
    expect(r).toMatchObject({ id: "a", url: "http://localhost:9000", asToken: "at", hsToken: "ht", senderLocalpart: "bot", rateLimited: true, receiveEphemeral: true, protocols: ["irc"] });
    expect(registry.byAsToken("at")).toBe(r!);
    expect(registry.byAsToken("ht")).toBeUndefined();
    expect(registry.byId("a")).toBe(r!);
    expect(registry.senderOf(r!)).toBe("@bot:example.org");
  });

  test("regexes match whole values; users of other servers never match", () => {
    const registry = loadAppServices([file(VALID.replace("users:", "aliases: [{ exclusive: false, regex: '#_a_.*' }]\n  rooms: [{ exclusive: false, regex: '!r:example.org' }]\n  users:"))], "example.org");
    const r = registry.all()[0]!;
    expect(registry.ownsUser(r, "@_a_x:example.org")).toBe(true);
    expect(registry.ownsUser(r, "@bot:example.org")).toBe(true);
    expect(registry.ownsUser(r, "@_a_x:elsewhere.org")).toBe(false);
    expect(registry.ownsUser(r, "@x_a_x:example.org")).toBe(false);
    expect(registry.exclusiveOwnerOfUser("@_a_x:example.org")).toBe(r);
    expect(registry.exclusiveOwnerOfUser("@_a_x:elsewhere.org")).toBeUndefined();
    expect(registry.matchesAlias(r, "#_a_x:example.org")).toBe(true);
    expect(registry.exclusiveOwnerOfAlias("#_a_x:example.org")).toBeUndefined();
    expect(registry.matchesRoom(r, "!r:example.org")).toBe(true);
    expect(registry.matchesRoom(r, "!r:example.org.evil")).toBe(false);
  });

  test.each([
    ["missing as_token", VALID.replace("as_token: at\n", ""), "as_token: missing"],
    ["missing hs_token", VALID.replace("hs_token: ht\n", ""), "hs_token: missing"],
    ["missing url", VALID.replace("url: http://localhost:9000\n", ""), "url: missing"],
    ["bad url", VALID.replace("http://localhost:9000", "ftp://x"), "url: must be an http(s) URL or null"],
    ["bad regex", VALID.replace("@_a_.*", "@_a_(["), "namespaces.users[0].regex: invalid regular expression"],
    ["exclusive not a boolean", VALID.replace("exclusive: true", "exclusive: yes please"), "namespaces.users[0].exclusive: must be true or false"],
    ["namespaces missing", VALID.replace(/namespaces:[\s\S]*/, ""), "namespaces: must be a mapping"],
    ["users not a list", VALID.replace(/users: .*/, "users: '@_a_.*'"), "namespaces.users: must be a list"],
    ["bad sender", VALID.replace("bot", "b:ot"), "sender_localpart: is not a valid user id localpart"],
    ["same tokens", VALID.replace("hs_token: ht", "hs_token: at"), "hs_token: must differ from as_token"],
    ["rate_limited not a boolean", VALID + "rate_limited: maybe\n", "rate_limited: must be true or false"],
    ["not a mapping", "- a\n- b\n", "(top level): must be a mapping"],
  ])("refuses %s", (_, text, message) => {
    const path = file(text);
    expect(refusal([path])).toStartWith(`app_service_config_files: ${path}: ${message}`);
  });

  test("refuses duplicate ids and tokens across files, and unreadable or non-YAML files", () => {
    const first = file(VALID);
    const sameId = file(VALID.replace("at\n", "at2\n").replace("ht\n", "ht2\n"));
    expect(refusal([first, sameId])).toBe(`app_service_config_files: ${sameId}: id: already used by ${first}`);
    const sameToken = file(VALID.replace("id: a", "id: b").replace("hs_token: ht", "hs_token: ht2"));
    expect(refusal([first, sameToken])).toBe(`app_service_config_files: ${sameToken}: as_token: already used by ${first}`);
    const tokenAsOthersHs = file(VALID.replace("id: a", "id: b").replace("as_token: at", "as_token: ht").replace("hs_token: ht", "hs_token: x"));
    expect(refusal([first, tokenAsOthersHs])).toBe(`app_service_config_files: ${tokenAsOthersHs}: as_token: already used by ${first}`);
    expect(refusal([join(folder, "missing.yaml")])).toContain("cannot read (ENOENT)");
    expect(refusal([file("id: [unclosed")])).toContain("not valid YAML");
  });
});

test("app_service_config_files are relative to the config file's folder", () => {
  const configPath = join(folder, "homeserver.yaml");
  writeFileSync(configPath, "app_service_config_files: [bridges/irc.yaml, /etc/abs.yaml]\n");
  expect(loadConfig({ path: configPath }).app_service_config_files).toEqual([join(folder, "bridges/irc.yaml"), "/etc/abs.yaml"]);
});

// Dependencies point one way (shared/ARCHITECTURE.md): this test fails on an import against it.
import { expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import { Glob } from "bun";

const src = resolve(import.meta.dir, "../src");

/** What each area may import from src/ (besides itself). Areas not listed may import nothing. */
const ALLOWED: Record<string, string[]> = {
  protocol: [],
  log: [],
  config: ["protocol"],
  engine: ["protocol"],
  storage: ["protocol", "log", "config"],
  http: ["protocol", "log"],
  auth: ["protocol", "engine", "storage", "log", "config"],
  rooms: ["protocol", "engine", "storage", "log", "config", "auth"],
  sync: ["protocol", "engine", "storage", "log", "config", "auth", "rooms"],
  push: ["protocol", "engine", "storage", "log", "config", "auth", "rooms"],
  federation: ["protocol", "engine", "storage", "log", "config", "auth", "rooms"],
  media: ["protocol", "engine", "storage", "log", "config", "auth", "rooms"],
  appservice: ["protocol", "engine", "storage", "log", "config", "auth", "rooms"],
  api: ["protocol", "engine", "log", "config", "http", "auth", "rooms", "sync", "push", "federation", "media", "appservice"],
  app: ["protocol", "log", "config", "http", "auth", "api", "rooms", "sync", "push", "federation", "media", "appservice"],
  main: ["protocol", "engine", "storage", "log", "config", "http", "auth", "app", "rooms", "sync", "push", "federation", "media", "appservice"],
  cli: ["protocol", "engine", "storage", "log", "config", "http", "auth", "app", "main", "rooms", "sync", "push", "federation", "media", "appservice"],
};

/** Packages only one area may use, so a swap of driver or framework stays local. */
const PACKAGE_OWNERS: Record<string, string[]> = {
  elysia: ["http"],
  postgres: ["storage"],
  "drizzle-orm": ["storage"],
  "@noble/ed25519": ["protocol"],
};

const areaOf = (file: string) => relative(src, file).split("/")[0]!.replace(/\.ts$/, "");

function importsOf(file: string): string[] {
  const text = readFileSync(file, "utf8");
  const specifiers = [...text.matchAll(/(?:^|\n)\s*(?:import|export)[^"';]*?from\s+["']([^"']+)["']/g), ...text.matchAll(/import\(\s*["']([^"']+)["']\s*\)/g)];
  return specifiers.map((match) => match[1]!);
}

test("imports follow the direction of dependencies", () => {
  const violations: string[] = [];
  const files = [...new Glob("**/*.ts").scanSync(src)].map((path) => join(src, path));
  expect(files.length).toBeGreaterThan(10);
  for (const file of files) {
    const area = areaOf(file);
    const allowed = ALLOWED[area];
    if (!allowed) {
      violations.push(`${relative(src, file)}: area '${area}' is not in the table`);
      continue;
    }
    for (const specifier of importsOf(file)) {
      if (specifier.startsWith(".")) {
        const target = resolve(dirname(file), specifier);
        if (!target.startsWith(src + "/")) continue; // package.json, wasm/, migrations/
        const targetArea = areaOf(target);
        if (targetArea !== area && !allowed.includes(targetArea)) violations.push(`${relative(src, file)} imports ${targetArea} (${specifier})`);
      } else {
        const name = specifier.startsWith("@") ? specifier.split("/").slice(0, 2).join("/") : specifier.split("/")[0]!;
        const owners = PACKAGE_OWNERS[name];
        if (owners && !owners.includes(area)) violations.push(`${relative(src, file)} imports ${name}, which belongs to ${owners.join(", ")}`);
      }
    }
  }
  expect(violations).toEqual([]);
});

test("only src/engine loads the wasm module", () => {
  for (const path of new Glob("**/*.ts").scanSync(src)) {
    if (readFileSync(join(src, path), "utf8").includes(".wasm\"") && !path.startsWith("engine/")) throw new Error(`${path} loads wasm`);
  }
});

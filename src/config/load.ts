// Reading the configuration once at start: YAML file, then MYELIN_* environment overrides,
// then defaults, then type checks and verify(). Any problem is one ConfigError line naming the key.
import { readFileSync } from "node:fs";
import { dirname, isAbsolute, resolve } from "node:path";
import { Value } from "@sinclair/typebox/value";
import type { TSchema } from "@sinclair/typebox";
import { parse as parseYaml } from "yaml";
import { ConfigSchema, type RawConfig } from "./schema.ts";
import { verifyConfig, type Config } from "./verify.ts";

export class ConfigError extends Error {
  override name = "ConfigError";
}

/** Environment variables with this prefix override the file: MYELIN_SERVER_NAME, MYELIN_DATABASE__ARGS__URL. */
export const ENV_PREFIX = "MYELIN_";

export interface LoadOptions {
  /** Path of the YAML file; none means defaults plus environment. */
  path?: string;
  env?: Record<string, string | undefined>;
  /** Folder relative paths resolve against when there is no file (default: the working directory). */
  cwd?: string;
}

export function loadConfig(options: LoadOptions = {}): Config {
  const raw = options.path ? readYaml(options.path) : {};
  applyEnvironment(raw, options.env ?? {});
  const withDefaults = Value.Default(ConfigSchema, Value.Clone(raw));
  const error = Value.Errors(ConfigSchema, withDefaults).First();
  if (error) throw new ConfigError(describeError(error.path, error.schema.hint ? `expected ${error.schema.hint}` : error.message, error.value));
  const base = options.path ? dirname(resolve(options.path)) : resolve(options.cwd ?? process.cwd());
  try {
    return verifyConfig(withDefaults as RawConfig, (path) => (isAbsolute(path) ? path : resolve(base, path)));
  } catch (cause) {
    throw new ConfigError((cause as Error).message);
  }
}

function readYaml(path: string): Record<string, unknown> {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (cause) {
    throw new ConfigError(`cannot read config file ${path}: ${(cause as NodeJS.ErrnoException).code ?? cause}`);
  }
  let parsed: unknown;
  try {
    parsed = parseYaml(text);
  } catch (cause) {
    const first = String((cause as Error).message).split("\n")[0];
    throw new ConfigError(`${path} is not valid YAML: ${first}`);
  }
  if (parsed === null || parsed === undefined) return {};
  if (typeof parsed !== "object" || Array.isArray(parsed)) throw new ConfigError(`${path}: the top level must be a mapping of options`);
  return parsed as Record<string, unknown>;
}

/** MYELIN_A__B__0__C=v sets a.b[0].c; the value is converted to the type the schema wants there. */
function applyEnvironment(raw: Record<string, unknown>, env: Record<string, string | undefined>): void {
  for (const [name, value] of Object.entries(env)) {
    if (!name.startsWith(ENV_PREFIX) || value === undefined) continue;
    const path = name.slice(ENV_PREFIX.length).toLowerCase().split("__");
    const schema = schemaAt(ConfigSchema, path);
    if (!schema) throw new ConfigError(`${name}: no option ${path.join(".")}`);
    let target: Record<string, unknown> = raw;
    path.slice(0, -1).forEach((segment, i) => {
      if (typeof target[segment] !== "object" || target[segment] === null) target[segment] = /^\d+$/.test(path[i + 1]!) ? [] : {};
      target = target[segment] as Record<string, unknown>;
    });
    target[path[path.length - 1]!] = envValue(schema, value);
  }
}

function envValue(schema: TSchema, text: string): unknown {
  // Structured options (lists, mappings) are given as YAML/JSON text.
  if (schema.type === "object" || schema.type === "array") {
    try {
      return parseYaml(text);
    } catch {
      return text;
    }
  }
  return Value.Convert(schema, text);
}

function schemaAt(schema: TSchema, path: string[]): TSchema | undefined {
  let current: TSchema | undefined = schema;
  for (const segment of path) {
    if (!current) return undefined;
    if (current.type === "object" && current.properties) current = current.properties[segment];
    else if (current.type === "object" && current.patternProperties) current = Object.values(current.patternProperties)[0] as TSchema;
    else if (current.type === "array" && /^\d+$/.test(segment)) current = current.items as TSchema;
    else return undefined;
  }
  return current;
}

function describeError(pointer: string, message: string, value: unknown): string {
  const key = pointer.replace(/^\//, "").replace(/\/(\d+)(?=\/|$)/g, "[$1]").replace(/\//g, ".") || "(top level)";
  if (message === "Unexpected property") return `${key}: unknown option`;
  if (message === "Expected required property") return `${key}: missing`;
  const shown = value === undefined ? "nothing" : JSON.stringify(value);
  return `${key}: ${message.charAt(0).toLowerCase() + message.slice(1)}, got ${shown}`;
}

// `myelin generate-config`: every option with its default, commented from the schema's
// descriptions, so the file documents itself and parses back to the defaults.
import type { TSchema } from "@sinclair/typebox";
import { stringify } from "yaml";
import { ConfigSchema } from "./schema.ts";
import { ENV_PREFIX } from "./load.ts";

function comment(text: string | undefined, indent: string): string {
  if (!text) return "";
  const lines: string[] = [];
  let line = "";
  for (const word of text.split(" ")) {
    if (line && line.length + word.length > 88) {
      lines.push(line);
      line = "";
    }
    line = line ? `${line} ${word}` : word;
  }
  if (line) lines.push(line);
  return lines.map((l) => `${indent}# ${l}\n`).join("");
}

function section(schema: TSchema, indent: string): string {
  let out = "";
  for (const [key, property] of Object.entries(schema.properties as Record<string, TSchema>)) {
    out += comment(property.description, indent);
    const nested = property.type === "object" && property.properties && Object.values(property.properties).some((p) => (p as TSchema).description);
    if (nested) {
      out += `${indent}${key}:\n${section(property, indent + "  ")}`;
    } else if (property.default !== undefined) {
      const text = stringify({ [key]: property.default }, { flowCollectionPadding: false }).trimEnd();
      out += text.split("\n").map((line) => indent + line).join("\n") + "\n";
    } else {
      out += `${indent}#${key}:\n`;
    }
    if (!indent) out += "\n";
  }
  return out;
}

export function generateConfig(): string {
  return (
    "# Myelin configuration. Every option is shown with its default; delete what you do not change.\n" +
    `# Any option can also be set from the environment: ${ENV_PREFIX}SERVER_NAME=example.org,\n` +
    `# ${ENV_PREFIX}DATABASE__ARGS__URL=postgres://... (path segments joined by two underscores).\n` +
    "# Relative paths are relative to the folder of this file.\n\n" +
    section(ConfigSchema, "")
  );
}

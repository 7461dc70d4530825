#!/usr/bin/env bun
// The `myelin` command: serve (default), generate-config, migrate, --version, --help.
import { existsSync, writeFileSync } from "node:fs";
import { parseArgs } from "node:util";
import { generateConfig } from "../config/generate.ts";
import { ConfigError, loadConfig } from "../config/load.ts";
import { createLogger } from "../log/logger.ts";
import { migrate, startServer, VERSION, withDatabase, type RuntimeAssets } from "../main.ts";
import { registerUserCommand, registrationTokenCommand } from "./accounts.ts";
import { sourceAssets } from "./source-assets.ts";

const HELP = `myelin ${VERSION}: a Matrix homeserver

Usage:
  myelin [serve] [--config FILE]    start the homeserver (default command)
  myelin generate-config [--output FILE]
                                    write a commented configuration with every option and its default
  myelin migrate [--config FILE]    apply database migrations and exit
  myelin register-user NAME [--password PW] [--admin] [--config FILE]
                                    create an account (a password is generated when none is given)
  myelin registration-token create [TOKEN] [--uses N] [--expiry 7d] | list | delete TOKEN
                                    manage tokens for m.login.registration_token
  myelin --version                  print the version
  myelin --help                     print this help

Without --config, Myelin starts with defaults: server_name localhost, port 8008 on 127.0.0.1,
data in ./data with an embedded PostgreSQL. Options can also be set with MYELIN_* environment
variables (see generate-config).`;

class UsageError extends Error {}

function fail(message: string, code = 1): never {
  process.stderr.write(`myelin: ${message}\n`);
  process.exit(code);
}

export async function runCli(argv: string[], assets: RuntimeAssets): Promise<void> {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      allowPositionals: true,
      options: {
        config: { type: "string", short: "c" },
        output: { type: "string", short: "o" },
        version: { type: "boolean", short: "v" },
        help: { type: "boolean", short: "h" },
        password: { type: "string" },
        admin: { type: "boolean" },
        uses: { type: "string" },
        expiry: { type: "string" },
      },
    });
  } catch (error) {
    fail(`${(error as Error).message}\n\n${HELP}`, 2);
  }
  const { values, positionals } = parsed;
  if (values.help) return void process.stdout.write(HELP + "\n");
  if (values.version) return void process.stdout.write(`myelin ${VERSION}\n`);
  const command = positionals[0] ?? "serve";
  try {
    const maxPositionals = command === "register-user" ? 2 : command === "registration-token" ? 3 : 1;
    if (positionals.length > maxPositionals) throw new UsageError(`unexpected argument ${positionals[maxPositionals]}`);
    switch (command) {
      case "register-user":
      case "registration-token": {
        const config = loadConfig({ path: values.config, env: process.env });
        const log = createLogger({ level: config.log_level === "info" ? "warn" : config.log_level });
        const run = command === "register-user" ? registerUserCommand : registrationTokenCommand;
        return await withDatabase(config, log, assets, (db) => run(db, config, log, { ...values, positionals }));
      }
      case "generate-config":
        return generateConfigCommand(values.output);
      case "migrate":
      case "serve": {
        const config = loadConfig({ path: values.config, env: process.env });
        const log = createLogger({ level: config.log_level });
        if (command === "migrate") return await migrate(config, log, assets);
        const server = await startServer(config, log, assets);
        const shutdown = (signal: string) => {
          log.info("shutting down", { signal });
          server.stop().then(() => process.exit(0), (error) => fail(`shutdown failed: ${(error as Error).message}`));
        };
        process.once("SIGTERM", () => shutdown("SIGTERM"));
        process.once("SIGINT", () => shutdown("SIGINT"));
        return;
      }
      default:
        throw new UsageError(`unknown command ${command}`);
    }
  } catch (error) {
    if (error instanceof UsageError) fail(`${error.message}\n\n${HELP}`, 2);
    if (error instanceof ConfigError) fail(`config error: ${error.message}`);
    // Start-up failures (storage, signing key, TLS files, a port in use) are one line each.
    fail((error as Error).message.split("\n")[0]!);
  }
}

function generateConfigCommand(output: string | undefined): void {
  const text = generateConfig();
  if (!output) return void process.stdout.write(text);
  if (existsSync(output)) throw new UsageError(`${output} exists; not overwriting it`);
  writeFileSync(output, text, { mode: 0o600 });
  process.stderr.write(`wrote ${output}\n`);
}

if (import.meta.main) await runCli(process.argv.slice(2), sourceAssets());

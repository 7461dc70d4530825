// Admin commands on accounts: `myelin register-user` (like Synapse's register_new_matrix_user)
// and `myelin registration-token create|list|delete`. They open the database directly, so with
// the embedded PostgreSQL the server must be stopped (the data folder lock); against a running
// server use the shared-secret API (POST /_synapse/admin/v1/register) instead.
import { randomBytes } from "node:crypto";
import { createAccountServices } from "../auth/accounts.ts";
import type { Config } from "../config/verify.ts";
import { parseDuration } from "../config/units.ts";
import { RateLimiter } from "../http/rate-limit.ts";
import type { Logger } from "../log/logger.ts";
import type { Database } from "../storage/db.ts";

export interface AccountCommandArgs {
  positionals: string[];
  password?: string;
  admin?: boolean;
  uses?: string;
  expiry?: string;
  length?: string;
}

const out = (line: string) => process.stdout.write(line + "\n");

export async function registerUserCommand(db: Database, config: Config, log: Logger, args: AccountCommandArgs): Promise<void> {
  const username = args.positionals[1];
  if (!username) throw new Error("register-user needs a user name: myelin register-user NAME [--password PW] [--admin]");
  const generated = args.password === undefined;
  const password = args.password ?? randomBytes(18).toString("base64url");
  const accounts = createAccountServices({ db: db.db, config, log, rateLimiter: new RateLimiter(), lastSeenIntervalMs: null });
  const userId = await accounts.registration.registerByAdmin({ username, password, admin: args.admin ?? false });
  out(`registered ${userId}${args.admin ? " (admin)" : ""}`);
  if (generated) out(`password: ${password}`);
}

export async function registrationTokenCommand(db: Database, config: Config, log: Logger, args: AccountCommandArgs): Promise<void> {
  const accounts = createAccountServices({ db: db.db, config, log, rateLimiter: new RateLimiter(), lastSeenIntervalMs: null });
  const tokens = accounts.registrationTokens;
  const [, action, name] = args.positionals;
  switch (action) {
    case "create": {
      const token = name ?? randomBytes(Number(args.length ?? 16)).toString("base64url").slice(0, Number(args.length ?? 16));
      if (!/^[A-Za-z0-9._~-]{1,64}$/.test(token)) throw new Error("a registration token is 1-64 characters of A-Z a-z 0-9 . _ ~ -");
      const usesAllowed = args.uses === undefined ? null : Number(args.uses);
      if (usesAllowed !== null && !(Number.isInteger(usesAllowed) && usesAllowed >= 0)) throw new Error("--uses must be a whole number");
      const validFor = args.expiry === undefined ? null : parseDuration(args.expiry);
      if (args.expiry !== undefined && validFor === null) throw new Error("--expiry must be a duration such as 1h or 7d");
      if (!(await tokens.create({ token, usesAllowed, expiryTime: validFor === null ? null : Date.now() + validFor }))) throw new Error(`token ${token} exists`);
      out(token);
      return;
    }
    case "list":
      for (const row of await tokens.list()) {
        const expiry = row.expiryTime === null ? "never" : new Date(row.expiryTime).toISOString();
        out(`${row.token}\tuses_allowed=${row.usesAllowed ?? "unlimited"}\tpending=${row.pending}\tcompleted=${row.completed}\texpiry=${expiry}`);
      }
      return;
    case "delete":
      if (!name) throw new Error("registration-token delete needs the token");
      if (!(await tokens.delete(name))) throw new Error(`no token ${name}`);
      out(`deleted ${name}`);
      return;
    default:
      throw new Error("usage: myelin registration-token create [TOKEN] [--uses N] [--expiry 7d] | list | delete TOKEN");
  }
}

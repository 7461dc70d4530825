// Synapse's registration token admin API over the tokens `myelin registration-token` manages.
// shared/reference/synapse-admin-api/registration_tokens.md
import { randomInt } from "node:crypto";
import { MatrixError, notFound } from "../protocol/matrix-error.ts";
import type { RegistrationTokenRow, RegistrationTokensRepo } from "../storage/repos/registration-tokens.ts";

/** Synapse's grammar and limits of a token. */
const TOKEN_CHARS = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._~-";
const TOKEN_PATTERN = /^[A-Za-z0-9._~-]{1,64}$/;
const MAX_TOKEN_LENGTH = 64;
const DEFAULT_TOKEN_LENGTH = 16;

const invalid = (message: string) => new MatrixError(400, "M_INVALID_PARAM", message);

const tokenJson = (row: RegistrationTokenRow) => ({
  token: row.token, uses_allowed: row.usesAllowed, pending: row.pending, completed: row.completed, expiry_time: row.expiryTime,
});

export function createAdminRegistrationTokens(deps: { repo: RegistrationTokensRepo; now?: () => number }) {
  const { repo } = deps;
  const now = deps.now ?? Date.now;

  function usesAllowed(value: unknown): number | null {
    if (value === null || (Number.isSafeInteger(value) && (value as number) >= 0)) return value as number | null;
    throw invalid("uses_allowed must be a non-negative integer or null");
  }
  function expiryTime(value: unknown): number | null {
    if (value !== null && !Number.isSafeInteger(value)) throw invalid("expiry_time must be an integer or null");
    if (value !== null && (value as number) < now()) throw invalid("expiry_time must not be in the past");
    return value as number | null;
  }
  const valid = (row: RegistrationTokenRow) =>
    (row.expiryTime === null || row.expiryTime >= now()) && (row.usesAllowed === null || row.pending + row.completed < row.usesAllowed);

  async function get(token: string) {
    const row = await repo.get(token);
    if (!row) throw notFound(`No such registration token: ${token}`);
    return tokenJson(row);
  }

  return {
    /** GET /_synapse/admin/v1/registration_tokens[?valid=true|false] */
    async list(onlyValid: boolean | undefined) {
      const rows = await repo.list();
      return { registration_tokens: rows.filter((row) => onlyValid === undefined || valid(row) === onlyValid).map(tokenJson) };
    },

    /** GET /_synapse/admin/v1/registration_tokens/{token} */
    get,

    /** POST /_synapse/admin/v1/registration_tokens/new */
    async create(body: Record<string, unknown>) {
      const uses = "uses_allowed" in body ? usesAllowed(body.uses_allowed) : null;
      const expiry = "expiry_time" in body ? expiryTime(body.expiry_time) : null;
      if (body.token !== undefined) {
        if (typeof body.token !== "string" || !TOKEN_PATTERN.test(body.token)) {
          throw invalid(`token must consist only of characters matched by the regex [A-Za-z0-9._~-] and be at most ${MAX_TOKEN_LENGTH} long`);
        }
        if (!(await repo.create({ token: body.token, usesAllowed: uses, expiryTime: expiry }))) throw invalid(`Token already exists: ${body.token}`);
        return get(body.token);
      }
      const length = body.length ?? DEFAULT_TOKEN_LENGTH;
      if (!Number.isSafeInteger(length) || (length as number) <= 0 || (length as number) > MAX_TOKEN_LENGTH) {
        throw invalid(`length must be an integer > 0 and <= ${MAX_TOKEN_LENGTH}`);
      }
      // A collision is unlikely but possible with short tokens: draw again, as Synapse does.
      for (let attempt = 0; attempt < 10; attempt++) {
        const token = Array.from({ length: length as number }, () => TOKEN_CHARS[randomInt(TOKEN_CHARS.length)]).join("");
        if (await repo.create({ token, usesAllowed: uses, expiryTime: expiry })) return get(token);
      }
      throw new MatrixError(500, "M_UNKNOWN", "Could not draw an unused token; ask for a longer one");
    },

    /** PUT /_synapse/admin/v1/registration_tokens/{token}: omitted fields stay. */
    async update(token: string, body: Record<string, unknown>) {
      const change = {
        ...("uses_allowed" in body ? { usesAllowed: usesAllowed(body.uses_allowed) } : {}),
        ...("expiry_time" in body ? { expiryTime: expiryTime(body.expiry_time) } : {}),
      };
      const row = await repo.update(token, change);
      if (!row) throw notFound(`No such registration token: ${token}`);
      return tokenJson(row);
    },

    /** DELETE /_synapse/admin/v1/registration_tokens/{token} */
    async delete(token: string): Promise<Record<string, never>> {
      if (!(await repo.delete(token))) throw notFound(`No such registration token: ${token}`);
      return {};
    },
  };
}

export type AdminRegistrationTokens = ReturnType<typeof createAdminRegistrationTokens>;

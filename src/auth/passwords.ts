// Password hashing: argon2id through Bun.password. Passwords are never logged or stored.
// Cost: 64 MiB of memory and 2 passes (Bun's defaults, pinned here so an upgrade cannot
// change them silently); bench/scenarios/http-accounts.ts measures what that costs per login.

/** argon2id parameters; `memoryCost` in KiB. */
export const ARGON2ID_COST = { memoryCost: 65_536, timeCost: 2 } as const;

export function hashPassword(password: string): Promise<string> {
  return Bun.password.hash(password, { algorithm: "argon2id", ...ARGON2ID_COST });
}

/** False for a wrong password or a hash that is not a valid PHC string. */
export async function verifyPassword(password: string, hash: string): Promise<boolean> {
  try {
    return await Bun.password.verify(password, hash);
  } catch {
    return false;
  }
}

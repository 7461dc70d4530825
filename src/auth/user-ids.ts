// User ids of new local accounts.
// https://spec.matrix.org/v1.19/appendices/#user-identifiers
import { MatrixError } from "../protocol/matrix-error.ts";

/** user_id_char: digits, a-z and -.=_/+ (no upper case: ids are created lowercase). */
const LOCALPART = /^[a-z0-9\-.=_/+]+$/;
/** The grammar's limit on a whole user id, sigil and server name included. */
export const MAX_USER_ID_LENGTH = 255;

export const userIdOf = (localpart: string, serverName: string) => `@${localpart}:${serverName}`;

/**
 * The localpart a client asked for, lowercased (as Synapse does), or 400 M_INVALID_USERNAME.
 * Refused as reserved: all digits (guest ids) and a leading '_' (application services, by convention).
 */
export function checkNewLocalpart(requested: string, serverName: string): string {
  const localpart = requested.toLowerCase();
  const invalid = (why: string) => new MatrixError(400, "M_INVALID_USERNAME", why);
  if (localpart.length === 0) throw invalid("User ID cannot be empty");
  if (!LOCALPART.test(localpart)) throw invalid("User ID can only contain characters a-z, 0-9, or '=_-./+'");
  if (/^\d+$/.test(localpart)) throw invalid("Numeric user IDs are reserved for guest users");
  if (localpart.startsWith("_")) throw invalid("User ID may not begin with _");
  if (userIdOf(localpart, serverName).length > MAX_USER_ID_LENGTH) throw invalid(`User ID may not be longer than ${MAX_USER_ID_LENGTH} characters`);
  return localpart;
}

/** The local user an identifier names ("alice" or "@alice:server"), or null for another server's user. */
export function localUserId(user: string, serverName: string): string | null {
  if (!user.startsWith("@")) return userIdOf(user.toLowerCase(), serverName);
  const colon = user.indexOf(":");
  if (colon < 0 || user.slice(colon + 1) !== serverName) return null;
  return userIdOf(user.slice(1, colon).toLowerCase(), serverName);
}

// User id checks for ids other servers made (ignored users, profile lookups): more lenient than
// the grammar of new local ids in user-ids.ts.
// https://spec.matrix.org/v1.19/appendices/#user-identifiers
import { isServerName } from "../protocol/identifiers.ts";

/** Spec limit: a user id, including the leading @ and the server name, in bytes. */
const MAX_USER_ID_BYTES = 255;

/**
 * Whether `text` is a user id: "@localpart:server". Historical localparts (any printable ASCII but
 * ":") are accepted, since other servers' users may still have them.
 */
export function isUserId(text: string): boolean {
  if (new TextEncoder().encode(text).length > MAX_USER_ID_BYTES) return false;
  const match = /^@([\x21-\x39\x3b-\x7e]+):(.+)$/.exec(text);
  return match !== null && isServerName(match[2]!);
}

export const isLocalUser = (userId: string, serverName: string) => isUserId(userId) && userId.endsWith(`:${serverName}`);

// Profiles: display name, avatar URL and custom profile fields (formerly MSC4133).
// https://spec.matrix.org/v1.19/client-server-api/#profiles
import { canonicalJsonBytes, CanonicalJsonError } from "../protocol/canonical-json.ts";
import { forbidden, MatrixError, notFound } from "../protocol/matrix-error.ts";
import type { ProfileFields, ProfilesRepo } from "../storage/repos/profiles.ts";
import { isLocalUser, isUserId } from "./user-id-checks.ts";

/** Spec limit: the whole profile as canonical JSON. */
export const MAX_PROFILE_BYTES = 65_536;
/** Spec limit: a key name, in bytes. */
export const MAX_KEY_BYTES = 255;
/** Limit (Synapse's MAX_DISPLAYNAME_LEN): display names are copied into every member event. */
export const MAX_DISPLAYNAME_LENGTH = 256;
/** Limit (Synapse's MAX_AVATAR_URL_LEN). */
export const MAX_AVATAR_URL_LENGTH = 1000;

/** keyName grammar of PUT/GET/DELETE /profile/{userId}/{keyName}. */
const KEY_NAME = /^(avatar_url|displayname|m\.tz|[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)+)$/;
/** The fields that are copied into m.room.member events. */
const MEMBER_FIELDS = ["displayname", "avatar_url"] as const;

export interface MemberProfile {
  displayname?: string;
  avatar_url?: string;
}

/**
 * Called after `displayname` or `avatar_url` changed: the rooms module fills it to send an
 * updated m.room.member event to every joined room (and presence, once it exists).
 * https://spec.matrix.org/v1.19/client-server-api/#events-on-change-of-profile-information
 */
export type MemberProfileChanged = (userId: string, profile: MemberProfile) => Promise<void>;

/**
 * Profiles of users of other servers, asked of their server (src/federation/queries.ts, injected
 * by main.ts). Throws MatrixError: the remote's 4xx as it answered, 502 when it cannot be asked.
 */
export interface RemoteProfiles {
  profile(userId: string): Promise<ProfileFields>;
}

export interface ProfilesDeps {
  repo: ProfilesRepo;
  serverName: string;
  /** Whether a local account exists (deactivated ones included). */
  userExists: (userId: string) => Promise<boolean>;
  /** Defaults to nothing until the rooms module exists. */
  memberProfileChanged?: MemberProfileChanged;
  /** Without it, users of other servers have no profile (404). */
  remote?: RemoteProfiles;
  now?: () => number;
}

function checkKeyName(key: string): void {
  if (new TextEncoder().encode(key).length > MAX_KEY_BYTES) {
    throw new MatrixError(400, "M_KEY_TOO_LARGE", `The key name exceeds the maximum allowed length of ${MAX_KEY_BYTES} bytes`);
  }
  if (!KEY_NAME.test(key)) throw new MatrixError(400, "M_INVALID_PARAM", `Invalid profile key: ${key}`);
}

/** Checks a value for a key; returns undefined when the value clears the field (legacy "" or null). */
function checkValue(key: string, value: unknown): unknown {
  switch (key) {
    case "displayname":
    case "avatar_url": {
      // Clients have long cleared these with "" or null; stored as absent, as Synapse does.
      if (value === null || value === "") return undefined;
      if (typeof value !== "string") throw new MatrixError(400, "M_BAD_JSON", `${key} must be a string`);
      if (key === "avatar_url" && !value.startsWith("mxc://")) throw new MatrixError(400, "M_BAD_JSON", "avatar_url must be an mxc:// URI");
      const max = key === "displayname" ? MAX_DISPLAYNAME_LENGTH : MAX_AVATAR_URL_LENGTH;
      if (value.length > max) throw new MatrixError(400, "M_TOO_LARGE", `${key} is longer than ${max} characters`);
      return value;
    }
    case "m.tz":
      if (typeof value !== "string") throw new MatrixError(400, "M_BAD_JSON", "m.tz must be a string");
      return value;
    default:
      return value;
  }
}

function profileSize(fields: ProfileFields): number {
  try {
    return canonicalJsonBytes(fields).length;
  } catch (error) {
    if (error instanceof CanonicalJsonError) throw new MatrixError(400, "M_BAD_JSON", `Profile values must be canonical JSON: ${error.message}`);
    throw error;
  }
}

function checkOwn(requesterId: string, userId: string, key: string): void {
  if (requesterId !== userId) throw forbidden("Cannot change the profile of another user");
  checkKeyName(key);
}

const memberProfile = (fields: ProfileFields): MemberProfile =>
  Object.fromEntries(MEMBER_FIELDS.filter((key) => typeof fields[key] === "string").map((key) => [key, fields[key]]));

export function createProfiles(deps: ProfilesDeps) {
  const { repo } = deps;
  const now = deps.now ?? Date.now;

  async function profileOf(userId: string): Promise<ProfileFields> {
    if (!isLocalUser(userId, deps.serverName)) {
      if (deps.remote && isUserId(userId)) return deps.remote.profile(userId);
      throw notFound("Profile not found");
    }
    if (!(await deps.userExists(userId))) throw notFound("Profile not found");
    return repo.get(userId);
  }

  async function change(requesterId: string, userId: string, key: string, apply: (fields: ProfileFields) => ProfileFields): Promise<void> {
    let before: ProfileFields = {};
    const after = await repo.update(
      userId,
      (current) => {
        before = current;
        const next = apply(current);
        if (profileSize(next) > MAX_PROFILE_BYTES) {
          throw new MatrixError(400, "M_PROFILE_TOO_LARGE", `The profile data exceeds the maximum allowed size of ${MAX_PROFILE_BYTES / 1024} KiB`);
        }
        return next;
      },
      now(),
    );
    if (MEMBER_FIELDS.includes(key as (typeof MEMBER_FIELDS)[number]) && before[key] !== after[key]) {
      await deps.memberProfileChanged?.(userId, memberProfile(after));
    }
  }

  return {
    /** GET /profile/{userId} */
    get: profileOf,

    /** GET /profile/{userId}/{keyName} */
    async getField(userId: string, key: string): Promise<Record<string, unknown>> {
      checkKeyName(key);
      const fields = await profileOf(userId);
      if (!(key in fields)) throw notFound(`No ${key} in this profile`);
      return { [key]: fields[key] };
    },

    /** PUT /profile/{userId}/{keyName}: `body` must carry the key. */
    async setField(requesterId: string, userId: string, key: string, body: Record<string, unknown>): Promise<void> {
      checkOwn(requesterId, userId, key);
      if (!(key in body)) throw new MatrixError(400, "M_MISSING_PARAM", `A required parameter is missing: ${key}`);
      const value = checkValue(key, body[key]);
      await change(requesterId, userId, key, (current) => {
        const { [key]: _, ...rest } = current;
        return value === undefined ? rest : { ...rest, [key]: value };
      });
    },

    /** DELETE /profile/{userId}/{keyName} */
    async deleteField(requesterId: string, userId: string, key: string): Promise<void> {
      checkOwn(requesterId, userId, key);
      await change(requesterId, userId, key, (current) => {
        const { [key]: _, ...rest } = current;
        return rest;
      });
    },

    /** Erases the whole profile (account deactivation). Member events are the caller's concern. */
    async erase(userId: string): Promise<void> {
      await repo.delete(userId);
    },
  };
}

export type Profiles = ReturnType<typeof createProfiles>;

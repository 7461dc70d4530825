// Synapse's user admin API: query, list, create or modify, deactivate, reset passwords, admin
// flag, account data and media of local accounts. Changes go through the same services as the
// user's own requests (registration, profiles, tokens, deactivation), so every side effect
// (leaving rooms, device list updates, pushers) happens as it would for them.
// shared/reference/synapse-admin-api/user_admin_api.md
import { MatrixError, notFound } from "../protocol/matrix-error.ts";
import type { AccountsRepo } from "../storage/repos/accounts.ts";
import { MEDIA_ORDER_COLUMNS, USER_ORDER_COLUMNS, type AdminMediaRow, type AdminUserRow, type AdminUsersRepo, type MediaListQuery, type UserListQuery } from "../storage/repos/admin-users.ts";
import { GLOBAL_ACCOUNT_DATA } from "../storage/repos/account-data.ts";
import type { Account } from "./account.ts";
import { MAX_PASSWORD_LENGTH } from "./account.ts";
import { hashPassword } from "./passwords.ts";
import type { Profiles } from "./profiles.ts";
import type { Registration } from "./registration.ts";
import type { Tokens } from "./tokens.ts";
import { isLocalUser, isUserId } from "./user-id-checks.ts";
import { checkNewLocalpart } from "./user-ids.ts";

/** Limit: items per page of the admin lists (Synapse has none); a larger `limit` is cut to it, `next_token` still leads on. */
export const ADMIN_PAGE_LIMIT = 1_000;

/** Synapse's order_by values of the account and media lists. */
export type UserOrder = keyof typeof USER_ORDER_COLUMNS;
export type MediaOrder = keyof typeof MEDIA_ORDER_COLUMNS;
export const USER_ORDERS = Object.keys(USER_ORDER_COLUMNS) as UserOrder[];
export const MEDIA_ORDERS = Object.keys(MEDIA_ORDER_COLUMNS) as MediaOrder[];

/** A valid user id of this server, or Synapse's 400 ("Can only look up local users" and kin). */
export function checkLocalUser(userId: string, serverName: string, message = "Can only look up local users"): string {
  if (!isUserId(userId)) throw new MatrixError(400, "M_INVALID_PARAM", "Invalid user id");
  if (!isLocalUser(userId, serverName)) throw new MatrixError(400, "M_UNKNOWN", message);
  return userId;
}

/** GET /_synapse/admin/v2/users/{userId}: creation_ts in seconds there (Synapse's column), in ms in the list. */
function userDetails(row: AdminUserRow) {
  return {
    name: row.name, displayname: row.displayname, threepids: [], avatar_url: row.avatarUrl, is_guest: row.isGuest, admin: row.admin,
    deactivated: row.deactivated, erased: row.erased, shadow_banned: false, creation_ts: Math.floor(row.creationTs / 1000),
    last_seen_ts: row.lastSeenTs, appservice_id: null, consent_server_notice_sent: null, consent_version: null, consent_ts: null,
    external_ids: [], user_type: null, locked: row.locked, suspended: row.suspended,
  };
}

function listedUser(row: AdminUserRow) {
  return {
    name: row.name, is_guest: row.isGuest, admin: row.admin, user_type: null, deactivated: row.deactivated, erased: row.erased,
    shadow_banned: false, displayname: row.displayname, avatar_url: row.avatarUrl, creation_ts: row.creationTs, last_seen_ts: row.lastSeenTs, locked: row.locked,
  };
}

const listedMedia = (row: AdminMediaRow) => ({
  created_ts: row.createdTs, last_access_ts: row.lastAccessTs, media_id: row.mediaId, media_length: row.mediaLength,
  media_type: row.mediaType, quarantined_by: row.quarantinedBy, safe_from_quarantine: row.safeFromQuarantine, upload_name: row.uploadName,
});

/** The body of PUT /_synapse/admin/v2/users/{userId}. */
export interface UserChange {
  password?: string;
  logout_devices?: boolean;
  displayname?: string;
  avatar_url?: string;
  admin?: boolean;
  deactivated?: boolean;
  threepids?: unknown[];
  external_ids?: unknown[];
  user_type?: string | null;
  locked?: boolean;
}

export interface AdminUsersDeps {
  serverName: string;
  repo: AdminUsersRepo;
  accounts: Pick<AccountsRepo, "getUser" | "setAdmin" | "setPasswordHash" | "createUser">;
  registration: Pick<Registration, "registerByAdmin">;
  tokens: Pick<Tokens, "deleteAllDevices" | "forgetUser">;
  /** Sets users.locked; false when there is no such account. */
  setLocked(userId: string, locked: boolean): Promise<boolean>;
  /** Suspends or unsuspends (src/rooms/admin-moderation.ts); false when there is no such account. */
  setSuspended(userId: string, suspended: boolean): Promise<boolean>;
  profiles: Pick<Profiles, "setField" | "deleteField">;
  /** Account management whose deactivation asks for no UIA (the admin is authorised already). */
  account: Pick<Account, "deactivate">;
  now?: () => number;
}

function checkPassword(password: string): void {
  if (password.length === 0 || password.length > MAX_PASSWORD_LENGTH) throw new MatrixError(400, "M_INVALID_PARAM", "Invalid password");
}

export function createAdminUsers(deps: AdminUsersDeps) {
  const { serverName, repo } = deps;
  const local = (userId: string) => checkLocalUser(userId, serverName);
  async function existing(userId: string): Promise<AdminUserRow> {
    const row = await repo.user(local(userId));
    if (!row) throw notFound("User not found");
    return row;
  }
  /** Empty string removes the field (Synapse); other values go through the profile rules. */
  async function setProfileField(userId: string, key: "displayname" | "avatar_url", value: string): Promise<void> {
    if (value === "") await deps.profiles.deleteField(userId, userId, key);
    else await deps.profiles.setField(userId, userId, key, { [key]: value });
  }

  const self = {
    async get(userId: string) {
      return userDetails(await existing(userId));
    },

    async list(query: UserListQuery) {
      const limit = Math.min(query.limit, ADMIN_PAGE_LIMIT);
      const { users, total } = await repo.list({ ...query, limit });
      const next = query.from + users.length;
      return { users: users.map(listedUser), total, ...(users.length > 0 && next < total ? { next_token: String(next) } : {}) };
    },

    /** PUT /_synapse/admin/v2/users/{userId}: 201 with the new account, or 200 with the changed one. */
    async upsert(requester: string, userId: string, change: UserChange): Promise<{ created: boolean; user: ReturnType<typeof userDetails> }> {
      local(userId);
      // Everything is checked before anything changes.
      if (change.password !== undefined) checkPassword(change.password);
      if ((change.threepids?.length ?? 0) > 0 || (change.external_ids?.length ?? 0) > 0) {
        throw new MatrixError(400, "M_INVALID_PARAM", "Third-party and external identifiers are not supported by this server");
      }
      if (change.user_type !== undefined && change.user_type !== null) throw new MatrixError(400, "M_INVALID_PARAM", "User types are not supported by this server");
      if (change.avatar_url !== undefined && change.avatar_url !== "" && !change.avatar_url.startsWith("mxc://")) {
        throw new MatrixError(400, "M_INVALID_PARAM", "avatar_url must be an MXC URI");
      }
      const before = await deps.accounts.getUser(userId);
      if (before && change.admin === false && userId === requester) throw new MatrixError(400, "M_UNKNOWN", "You may not demote yourself.");
      if (before?.deactivated && change.deactivated === false && change.password === undefined) {
        throw new MatrixError(400, "M_UNKNOWN", "Must provide a password to re-activate an account.");
      }

      if (!before) {
        // New ids follow the grammar of registration; upper case would be lowercased into another id.
        const localpart = checkNewLocalpart(userId.slice(1, userId.indexOf(":")), serverName);
        if (`@${localpart}:${serverName}` !== userId) throw new MatrixError(400, "M_INVALID_USERNAME", "User ID can only contain characters a-z, 0-9, or '=_-./+'");
        if (change.password !== undefined) {
          await deps.registration.registerByAdmin({ username: localpart, password: change.password, admin: change.admin ?? false });
        } else {
          const created = await deps.accounts.createUser({ userId, passwordHash: null, isAdmin: change.admin ?? false, createdTs: (deps.now ?? Date.now)() });
          if (!created) throw new MatrixError(400, "M_USER_IN_USE", "User ID already taken.");
        }
      } else {
        if (change.password !== undefined) await self.resetPassword(userId, change.password, change.logout_devices ?? true);
        if (change.admin !== undefined) await deps.accounts.setAdmin(userId, change.admin);
      }
      if (change.displayname !== undefined) await setProfileField(userId, "displayname", change.displayname);
      if (change.avatar_url !== undefined) await setProfileField(userId, "avatar_url", change.avatar_url);
      if (change.deactivated === true && !before?.deactivated) await self.deactivate(userId, false);
      if (change.deactivated === false && before?.deactivated) await repo.reactivate(userId);
      if (change.locked !== undefined) await self.setLocked(userId, change.locked);
      return { created: !before, user: await self.get(userId) };
    },

    /** POST /_synapse/admin/v1/deactivate/{userId}: the user's own deactivation, without UIA. */
    async deactivate(userId: string, erase: boolean) {
      checkLocalUser(userId, serverName, "Can only deactivate local users");
      await existing(userId);
      return deps.account.deactivate(userId, { auth: null, erase });
    },

    /** POST /_synapse/admin/v1/reset_password/{userId}: every device is logged out unless logout_devices is false. */
    async resetPassword(userId: string, password: string, logoutDevices: boolean): Promise<void> {
      checkLocalUser(userId, serverName, "Can only reset the password of local users");
      checkPassword(password);
      await existing(userId);
      await deps.accounts.setPasswordHash(userId, await hashPassword(password));
      if (logoutDevices) await deps.tokens.deleteAllDevices(userId);
    },

    /** `locked` of PUT v2/users: the tokens stay (spec: account locking), their cached owners are read again. */
    async setLocked(userId: string, locked: boolean): Promise<void> {
      await deps.setLocked(userId, locked);
      deps.tokens.forgetUser(userId);
    },

    /** PUT /_synapse/admin/v1/suspend/{userId} (Synapse answers with `user_{userId}_suspended`). */
    async suspend(userId: string, suspend: boolean): Promise<Record<string, boolean>> {
      checkLocalUser(userId, serverName, "Only local users can be suspended.");
      if (!(await deps.setSuspended(userId, suspend))) throw notFound("User does not exist");
      return { [`user_${userId}_suspended`]: suspend };
    },

    /** GET /_synapse/admin/v1/users/{userId}/admin */
    async isAdmin(userId: string): Promise<{ admin: boolean }> {
      checkLocalUser(userId, serverName, "Only local users can be admins of this homeserver");
      return { admin: (await existing(userId)).admin };
    },

    /** PUT /_synapse/admin/v1/users/{userId}/admin */
    async setAdmin(requester: string, userId: string, admin: boolean): Promise<void> {
      checkLocalUser(userId, serverName, "Only local users can be admins of this homeserver");
      await existing(userId);
      if (userId === requester && !admin) throw new MatrixError(400, "M_UNKNOWN", "You may not demote yourself.");
      await deps.accounts.setAdmin(userId, admin);
    },

    /** GET /_synapse/admin/v1/users/{userId}/accountdata */
    async accountData(userId: string) {
      await existing(userId);
      const global: Record<string, unknown> = {};
      const rooms: Record<string, Record<string, unknown>> = {};
      for (const row of await repo.accountData(userId)) {
        if (row.roomId === GLOBAL_ACCOUNT_DATA) global[row.type] = row.content;
        else (rooms[row.roomId] ??= {})[row.type] = row.content;
      }
      return { account_data: { global, rooms } };
    },

    /** GET /_synapse/admin/v1/users/{userId}/media */
    async media(userId: string, query: MediaListQuery) {
      await existing(userId);
      const { media, total } = await repo.media(userId, { ...query, limit: Math.min(query.limit, ADMIN_PAGE_LIMIT) });
      const next = query.from + media.length;
      return { media: media.map(listedMedia), total, ...(media.length > 0 && next < total ? { next_token: next } : {}) };
    },
  };
  return self;
}

export type AdminUsers = ReturnType<typeof createAdminUsers>;

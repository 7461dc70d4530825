// Builds the services of a user's own data and devices (profiles, account data, filters,
// device management, password and deactivation) on top of the account services.
import type { Db } from "../storage/db.ts";
import { createAccountDataRepo } from "../storage/repos/account-data.ts";
import { createErasedUsersRepo } from "../storage/repos/erased-users.ts";
import { createFiltersRepo } from "../storage/repos/filters.ts";
import { createProfilesRepo } from "../storage/repos/profiles.ts";
import { createAccount, type Account, type LeaveAllRooms } from "./account.ts";
import { createAccountData, type AccountData, type AccountDataChanged } from "./account-data.ts";
import type { AccountServices } from "./accounts.ts";
import { createDevices, type Devices, type DevicesDeleted } from "./devices.ts";
import { createFilters, type Filters } from "./filters.ts";
import { createProfiles, type MemberProfileChanged, type Profiles, type RemoteProfiles } from "./profiles.ts";

export interface UserDataServices {
  profiles: Profiles;
  accountData: AccountData;
  filters: Filters;
  devices: Devices;
  account: Account;
}

/** What later modules plug in (rooms, sync, E2EE); each defaults to nothing. */
export interface UserDataHooks {
  memberProfileChanged?: MemberProfileChanged;
  accountDataChanged?: AccountDataChanged;
  devicesDeleted?: DevicesDeleted;
  leaveAllRooms?: LeaveAllRooms;
}

export function createUserDataServices(options: {
  db: Db;
  serverName: string;
  accounts: Pick<AccountServices, "repo" | "tokens" | "uia" | "deviceEvents">;
  hooks?: UserDataHooks;
  /** Profiles of other servers' users (federation); without it they are 404. */
  remoteProfiles?: RemoteProfiles;
  now?: () => number;
}): UserDataServices {
  const { db, accounts, hooks = {}, now } = options;
  const profiles = createProfiles({
    repo: createProfilesRepo(db),
    serverName: options.serverName,
    userExists: async (userId) => (await accounts.repo.getUser(userId)) !== undefined,
    memberProfileChanged: hooks.memberProfileChanged,
    remote: options.remoteProfiles,
    now,
  });
  const accountData = createAccountData({ repo: createAccountDataRepo(db), changed: hooks.accountDataChanged });
  const filters = createFilters({ repo: createFiltersRepo(db) });
  if (hooks.devicesDeleted) accounts.deviceEvents.subscribe(hooks.devicesDeleted);
  const devices = createDevices({ repo: accounts.repo, tokens: accounts.tokens, uia: accounts.uia });
  const account = createAccount({
    repo: accounts.repo,
    tokens: accounts.tokens,
    uia: accounts.uia,
    profiles,
    accountData,
    erasedUsers: createErasedUsersRepo(db),
    leaveAllRooms: hooks.leaveAllRooms,
    devicesDeleted: accounts.deviceEvents.deleted,
    now,
  });
  return { profiles, accountData, filters, devices, account };
}

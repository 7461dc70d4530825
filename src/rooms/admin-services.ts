// Builds the services behind Synapse's admin API (/_synapse/admin) from the account, user data
// and rooms services; src/main.ts calls it. Here because it spans auth and rooms.
import { createAccount, type LeaveAllRooms } from "../auth/account.ts";
import type { AccountServices } from "../auth/accounts.ts";
import { createAdminDevices, type AdminDevices } from "../auth/admin-devices.ts";
import { createAdminRegistrationTokens, type AdminRegistrationTokens } from "../auth/admin-tokens.ts";
import { createAdminUsers, type AdminUsers } from "../auth/admin-users.ts";
import type { UserDataServices } from "../auth/user-data.ts";
import type { Db } from "../storage/db.ts";
import { createAdminModerationRepo } from "../storage/repos/admin-moderation.ts";
import { createAdminRoomPurgeRepo } from "../storage/repos/admin-room-purge.ts";
import { createAdminRoomsRepo } from "../storage/repos/admin-rooms.ts";
import { createRoomDirectoryRepo } from "../storage/repos/room-directory.ts";
import { createAdminUsersRepo } from "../storage/repos/admin-users.ts";
import { createErasedUsersRepo } from "../storage/repos/erased-users.ts";
import { createAdminReports, type AdminReports } from "./admin-reports.ts";
import type { Moderation } from "./admin-moderation.ts";
import { createAdminRoomDeletion, type AdminRoomDeletion } from "./admin-room-deletion.ts";
import { createAdminRooms, type AdminRooms } from "./admin-rooms.ts";
import { createRoomPurge } from "./room-purge.ts";
import type { RoomServices } from "./index.ts";

export interface AdminServices {
  /** Whether the user is a server admin (users.is_admin): the admin API's access rule. */
  isAdmin(userId: string): Promise<boolean>;
  users: AdminUsers;
  devices: AdminDevices;
  registrationTokens: AdminRegistrationTokens;
  rooms: AdminRooms;
  reports: AdminReports;
  /** Blocked rooms and suspended accounts. */
  moderation: Moderation;
  /** Room shutdown and purge (v1 and v2 Delete Room API). */
  roomDeletion: AdminRoomDeletion;
  /** Myelin's version, for GET /server_version. */
  version: string;
}

/** UIA that always passes: the admin API's caller is authorised by the admin check already. */
const NO_UIA = {
  require: async (request: { operation: string; userId?: string | null }) =>
    ({ id: "admin", operation: request.operation, userId: request.userId ?? null, createdTs: 0, completed: [], data: {} }),
};

export function createAdminServices(options: {
  db: Db;
  serverName: string;
  version: string;
  accounts: Pick<AccountServices, "repo" | "tokens" | "registration" | "registrationTokens" | "deviceEvents">;
  userData: Pick<UserDataServices, "profiles" | "accountData" | "devices">;
  rooms: Pick<RoomServices, "repo" | "heads" | "cache" | "formatter" | "membership" | "directory" | "appender" | "creator" | "bus">;
  /** Built before the rooms services, which consult it (src/main.ts). */
  moderation: Moderation;
  /** The same first step of deactivation as the user's own (leave rooms, drop pushers). */
  leaveAllRooms: LeaveAllRooms;
  now?: () => number;
}): AdminServices {
  const { db, serverName, accounts, userData, rooms, now } = options;
  const userExists = async (userId: string) => (await accounts.repo.getUser(userId)) !== undefined;
  // The user's own deactivation path, minus the UIA the admin does not have to pass.
  const account = createAccount({
    repo: accounts.repo, tokens: accounts.tokens, uia: NO_UIA, profiles: userData.profiles, accountData: userData.accountData,
    erasedUsers: createErasedUsersRepo(db), leaveAllRooms: options.leaveAllRooms, devicesDeleted: accounts.deviceEvents.deleted, now,
  });
  const adminRoomsRepo = createAdminRoomsRepo(db, serverName);
  const moderationRepo = createAdminModerationRepo(db);
  const { moderation } = options;
  return {
    isAdmin: async (userId) => (await accounts.repo.getUser(userId))?.isAdmin === true,
    users: createAdminUsers({
      serverName, repo: createAdminUsersRepo(db), accounts: accounts.repo, registration: accounts.registration, tokens: accounts.tokens,
      profiles: userData.profiles, account, now,
      setLocked: (userId, locked) => moderationRepo.setLocked(userId, locked),
      setSuspended: (userId, suspended) => moderation.setSuspended(userId, suspended),
    }),
    devices: createAdminDevices({
      serverName, accounts: accounts.repo, tokens: accounts.tokens, devices: userData.devices, now,
      joinedRooms: (userId) => rooms.repo.roomsOfUser(userId, ["join"]),
    }),
    registrationTokens: createAdminRegistrationTokens({ repo: accounts.registrationTokens, now }),
    rooms: createAdminRooms({
      serverName, repo: adminRoomsRepo, events: rooms.repo, heads: rooms.heads, cache: rooms.cache, formatter: rooms.formatter,
      membership: rooms.membership, directory: rooms.directory, userExists,
    }),
    reports: createAdminReports({ repo: adminRoomsRepo }),
    moderation,
    roomDeletion: createAdminRoomDeletion({
      serverName, heads: rooms.heads, events: rooms.repo, appender: rooms.appender, membership: rooms.membership, creator: rooms.creator,
      directory: createRoomDirectoryRepo(db), moderation, now,
      purge: createRoomPurge({ repo: createAdminRoomPurgeRepo(db), heads: rooms.heads, cache: rooms.cache, bus: rooms.bus }),
    }),
    version: options.version,
  };
}

// Registering accounts: POST /register (user and guest), availability, token validity, and the
// admin paths (CLI, shared-secret API) that skip UIA.
// https://spec.matrix.org/v1.19/client-server-api/#account-registration
import { randomInt } from "node:crypto";
import { MatrixError } from "../protocol/matrix-error.ts";
import type { AccountsRepo } from "../storage/repos/accounts.ts";
import type { RegistrationTokensRepo } from "../storage/repos/registration-tokens.ts";
import type { DeviceSessions, SessionResponse } from "./device-sessions.ts";
import { hashPassword } from "./passwords.ts";
import type { RequestLimiter, Rule } from "./rate-limits.ts";
import { reservedRegistrationToken } from "./uia-stages.ts";
import type { Tokens } from "./tokens.ts";
import type { Uia, UiaFlow } from "./uia.ts";
import type { AppServiceRegistry } from "./appservice-registry.ts";
import { isAppServiceLocalpart } from "./appservices.ts";
import { checkNewLocalpart, userIdOf } from "./user-ids.ts";

/** Synapse's limit on password length. */
const MAX_PASSWORD_LENGTH = 512;

export interface RegisterRequest {
  kind: "user" | "guest";
  auth?: unknown;
  username?: string;
  password?: string;
  device_id?: string;
  initial_device_display_name?: string;
  inhibit_login?: boolean;
  refresh_token?: boolean;
  /** A guest upgrading to a full account: https://spec.matrix.org/v1.19/client-server-api/#guest-access */
  guest_access_token?: string;
}

export interface RegistrationOptions {
  serverName: string;
  enableRegistration: boolean;
  requiresToken: boolean;
  allowGuests: boolean;
  repo: Pick<AccountsRepo, "createUser" | "getUser" | "upgradeGuest">;
  /** Resolves a guest's access token (guest upgrades). */
  tokens: Pick<Tokens, "resolve" | "forgetUser">;
  registrationTokens: Pick<RegistrationTokensRepo, "complete" | "release" | "isUsable">;
  uia: Uia;
  sessions: DeviceSessions;
  /** rc_registration counts created accounts per client address, as in Synapse. */
  limiter: RequestLimiter;
  limit: Rule;
  /** Application services: their users register with their as_token; exclusive namespaces are theirs alone. */
  appServices?: Pick<AppServiceRegistry, "byAsToken" | "ownsUser" | "exclusiveOwnerOfUser">;
  now?: () => number;
}

const userInUse = () => new MatrixError(400, "M_USER_IN_USE", "User ID already taken");
const exclusive = () => new MatrixError(400, "M_EXCLUSIVE", "This user ID is reserved by an application service");
const registrationDisabled = () => new MatrixError(403, "M_FORBIDDEN", "Registration has been disabled");

function checkPassword(password: string): void {
  if (password.length === 0) throw new MatrixError(400, "M_WEAK_PASSWORD", "Password must not be empty");
  if (password.length > MAX_PASSWORD_LENGTH) throw new MatrixError(400, "M_INVALID_PARAM", "Password too long");
}

export function createRegistration(options: RegistrationOptions) {
  const now = options.now ?? Date.now;
  const { repo } = options;
  const flows = (): UiaFlow[] => [{ stages: [options.requiresToken ? "m.login.registration_token" : "m.login.dummy"] }];

  /** Creates the user row; numeric localparts (guests, or no username given) are picked at random. */
  async function createUser(localpart: string | null, passwordHash: string | null, flags: { isAdmin?: boolean; isGuest?: boolean }): Promise<string> {
    for (let attempt = 0; attempt < 10; attempt++) {
      const userId = userIdOf(localpart ?? String(randomInt(100_000_000, 1_000_000_000_000)), options.serverName);
      if (await repo.createUser({ userId, passwordHash, isAdmin: flags.isAdmin ?? false, isGuest: flags.isGuest ?? false, createdTs: now() })) return userId;
      if (localpart !== null) throw userInUse();
    }
    throw new MatrixError(500, "M_UNKNOWN", "Could not allocate a user ID");
  }

  async function finish(userId: string, request: RegisterRequest): Promise<SessionResponse | { user_id: string; home_server: string }> {
    if (request.inhibit_login) return { user_id: userId, home_server: options.serverName };
    return options.sessions.start({ userId, deviceId: request.device_id, displayName: request.initial_device_display_name, refreshToken: request.refresh_token });
  }

  /** The guest's account gets the password and loses guest status; the user id stays. */
  async function upgradeGuest(request: RegisterRequest, guestToken: string) {
    const owner = await options.tokens.resolve(guestToken).catch(() => null);
    if (!owner?.isGuest) throw new MatrixError(403, "M_FORBIDDEN", "guest_access_token is not a guest's access token");
    // Guests have numeric localparts, which new registrations may not take: compare, don't re-check.
    if (request.username === undefined || userIdOf(request.username.toLowerCase(), options.serverName) !== owner.userId) {
      throw new MatrixError(400, "M_INVALID_PARAM", "username must be the guest's own localpart");
    }
    if (request.password === undefined) throw new MatrixError(400, "M_MISSING_PARAM", "Missing password");
    checkPassword(request.password);
    await options.uia.require({ auth: request.auth, operation: "register", userId: null, flows: flows() });
    if (!(await repo.upgradeGuest(owner.userId, await hashPassword(request.password)))) {
      throw new MatrixError(403, "M_FORBIDDEN", "This account is not a guest account");
    }
    options.tokens.forgetUser(owner.userId); // cached lookups still say "guest"
    return finish(owner.userId, request);
  }

  return {
    flows,

    /**
     * POST /register with kind=user: username and password checked first, then UIA, then the
     * account. The rate limit is checked on every step but spent only by a created account,
     * so one sign-up's several UIA round trips count once (Synapse does the same).
     */
    async registerUser(request: RegisterRequest, ip: string) {
      if (!options.enableRegistration) throw registrationDisabled();
      options.limiter.check(ip, "rc_registration", options.limit, ip);
      if (request.guest_access_token !== undefined) return upgradeGuest(request, request.guest_access_token);
      const localpart = request.username === undefined ? null : checkNewLocalpart(request.username, options.serverName);
      if (localpart !== null && (await repo.getUser(userIdOf(localpart, options.serverName)))) throw userInUse();
      if (localpart !== null && options.appServices?.exclusiveOwnerOfUser(userIdOf(localpart, options.serverName))) throw exclusive();
      if (request.password === undefined) {
        // Checked before UIA so the client learns it before completing stages.
        throw new MatrixError(400, "M_MISSING_PARAM", "Missing password");
      }
      checkPassword(request.password);
      const session = await options.uia.require({ auth: request.auth, operation: "register", userId: null, flows: flows() });
      const token = reservedRegistrationToken(session);
      let userId: string;
      try {
        userId = await createUser(localpart, await hashPassword(request.password), {});
      } catch (error) {
        if (token) await options.registrationTokens.release(token);
        throw error;
      }
      if (token) await options.registrationTokens.complete(token);
      options.limiter.take(ip, "rc_registration", options.limit, ip);
      return finish(userId, request);
    },

    /** POST /register with kind=guest: no UIA, no password, a numeric id. */
    async registerGuest(request: RegisterRequest, ip: string) {
      if (!options.allowGuests) throw new MatrixError(403, "M_GUEST_ACCESS_FORBIDDEN", "Guest access is disabled");
      options.limiter.take(ip, "rc_registration", options.limit, ip);
      const userId = await createUser(null, null, { isGuest: true });
      // Guests get a new device each time; device_id is ignored, as in Synapse.
      return finish(userId, { ...request, device_id: undefined });
    },

    /** GET /register/available: true, or throws M_USER_IN_USE / M_INVALID_USERNAME. */
    async available(username: string): Promise<{ available: true }> {
      if (!options.enableRegistration) throw registrationDisabled();
      const localpart = checkNewLocalpart(username, options.serverName);
      if (await repo.getUser(userIdOf(localpart, options.serverName))) throw userInUse();
      if (options.appServices?.exclusiveOwnerOfUser(userIdOf(localpart, options.serverName))) throw exclusive();
      return { available: true };
    },

    /**
     * POST /register with type m.login.application_service and the AS's as_token: a user of its
     * namespaces, with no UIA and no password, even with registration closed.
     * https://spec.matrix.org/v1.19/application-service-api/#server-admin-style-permissions
     */
    async registerAppServiceUser(asToken: string | null, request: RegisterRequest, ip: string) {
      if (asToken === null) throw new MatrixError(401, "M_MISSING_TOKEN", "m.login.application_service needs the application service's as_token");
      const appService = options.appServices?.byAsToken(asToken);
      if (!appService) throw new MatrixError(401, "M_UNKNOWN_TOKEN", "Unknown application service token");
      if (request.username === undefined) throw new MatrixError(400, "M_MISSING_PARAM", "Missing username");
      if (!isAppServiceLocalpart(request.username, options.serverName)) throw new MatrixError(400, "M_INVALID_USERNAME", "Invalid user ID localpart");
      const userId = userIdOf(request.username, options.serverName);
      const owner = options.appServices!.exclusiveOwnerOfUser(userId);
      if (!options.appServices!.ownsUser(appService, userId) || (owner && owner !== appService)) {
        throw new MatrixError(400, "M_EXCLUSIVE", "This user ID is not in the application service's namespaces");
      }
      if (appService.rateLimited) options.limiter.check(ip, "rc_registration", options.limit, ip);
      if (!(await repo.createUser({ userId, passwordHash: null, isAdmin: false, isGuest: false, createdTs: now() }))) throw userInUse();
      if (appService.rateLimited) options.limiter.take(ip, "rc_registration", options.limit, ip);
      return finish(userId, request);
    },

    /** GET /register/m.login.registration_token/validity. */
    async tokenValid(token: string): Promise<{ valid: boolean }> {
      if (!options.enableRegistration) throw registrationDisabled();
      return { valid: await options.registrationTokens.isUsable(token, now()) };
    },

    /** Admin registration (CLI, shared-secret API): no UIA, works with registration off. */
    async registerByAdmin(request: { username: string; password: string; admin: boolean }): Promise<string> {
      const localpart = checkNewLocalpart(request.username, options.serverName);
      checkPassword(request.password);
      return createUser(localpart, await hashPassword(request.password), { isAdmin: request.admin });
    },
  };
}

export type Registration = ReturnType<typeof createRegistration>;

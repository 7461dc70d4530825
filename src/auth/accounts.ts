// Builds the account services (tokens, UIA, login, registration, ...) from the database and
// config; src/main.ts and the tests call it, the API modules receive the parts they use.
import type { Config } from "../config/verify.ts";
import { parseDuration } from "../config/units.ts";
import type { Logger } from "../log/logger.ts";
import type { Db } from "../storage/db.ts";
import { createAccountsRepo, type AccountsRepo } from "../storage/repos/accounts.ts";
import { createRegistrationTokensRepo, type RegistrationTokensRepo } from "../storage/repos/registration-tokens.ts";
import { createDeviceEvents, type DeviceEvents } from "./device-events.ts";
import { createDeviceSessions, type DeviceSessions } from "./device-sessions.ts";
import { createLastSeen, type LastSeen } from "./last-seen.ts";
import { createLogin, type Login } from "./login.ts";
import { limiterFor, type Limiter, type RequestLimiter } from "./rate-limits.ts";
import { createRegistration, type Registration } from "./registration.ts";
import { createSharedSecretRegistration, type SharedSecretRegistration } from "./shared-secret.ts";
import { createTokens, type Tokens } from "./tokens.ts";
import { reservedRegistrationToken, createUiaStages } from "./uia-stages.ts";
import { createUia, type Uia } from "./uia.ts";
import type { AppServiceRegistry } from "./appservice-registry.ts";

export type AccountsConfig = Pick<
  Config,
  | "server_name" | "enable_registration" | "registration_requires_token" | "allow_guest_access" | "registration_shared_secret"
  | "rc_login" | "rc_registration" | "rc_exempt_loopback" | "refreshable_access_token_lifetime" | "refresh_token_lifetime"
  | "nonrefreshable_access_token_lifetime" | "login_via_existing_session"
>;

export interface AccountServices {
  repo: AccountsRepo;
  registrationTokens: RegistrationTokensRepo;
  tokens: Tokens;
  lastSeen: LastSeen;
  uia: Uia;
  sessions: DeviceSessions;
  login: Login;
  registration: Registration;
  sharedSecret: SharedSecretRegistration;
  /** Rate limits with the loopback exemption applied (config rc_exempt_loopback). */
  limiter: RequestLimiter;
  /** Announces deleted devices, whatever deleted them; modules that keep data per device subscribe. */
  deviceEvents: DeviceEvents;
}

const ms = (value: number | string | null) => (value === null ? null : parseDuration(value)!);

export function createAccountServices(options: {
  db: Db;
  config: AccountsConfig;
  log: Logger;
  rateLimiter: Limiter;
  now?: () => number;
  /** Flush interval of last-seen data; null: only on flush() (tests). */
  lastSeenIntervalMs?: number | null;
  /** Application services: registration and login of their users, their exclusive namespaces. */
  appServices?: AppServiceRegistry;
}): AccountServices {
  const { config, now } = options;
  const repo = createAccountsRepo(options.db);
  const registrationTokens = createRegistrationTokensRepo(options.db);
  const lastSeen = createLastSeen({ repo, log: options.log, now, intervalMs: options.lastSeenIntervalMs });
  const deviceEvents = createDeviceEvents((error) => options.log.error("device deletion listener failed", { error: String(error) }));
  const tokens = createTokens({
    repo, lastSeen, now, deviceEvents,
    lifetimes: {
      refreshableAccessMs: ms(config.refreshable_access_token_lifetime)!,
      refreshMs: ms(config.refresh_token_lifetime),
      nonRefreshableAccessMs: ms(config.nonrefreshable_access_token_lifetime),
    },
  });
  const uia = createUia({
    stages: createUiaStages({ serverName: config.server_name, accounts: repo, registrationTokens, now }),
    onExpire: async (session) => {
      const token = reservedRegistrationToken(session);
      if (token) await registrationTokens.release(token);
    },
    now,
  });
  const limiter = limiterFor(options.rateLimiter, config.rc_exempt_loopback);
  const sessions = createDeviceSessions({ repo, tokens, serverName: config.server_name, now });
  const login = createLogin({
    serverName: config.server_name, repo, sessions, limiter, limits: config.rc_login, now,
    loginTokens: config.login_via_existing_session.enabled ? { timeoutMs: ms(config.login_via_existing_session.token_timeout)! } : null,
    appServices: options.appServices,
  });
  const registration = createRegistration({
    serverName: config.server_name, enableRegistration: config.enable_registration, requiresToken: config.registration_requires_token,
    allowGuests: config.allow_guest_access, repo, tokens, registrationTokens, uia, sessions, limiter, limit: config.rc_registration, now,
    appServices: options.appServices,
  });
  const sharedSecret = createSharedSecretRegistration({ secret: config.registration_shared_secret, registration, sessions, now });
  return { repo, registrationTokens, tokens, lastSeen, uia, sessions, login, registration, sharedSecret, limiter, deviceEvents };
}

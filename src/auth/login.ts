// Logging in: m.login.password and m.login.token, with the rc_login limits; login tokens for
// POST /login/get_token.
// https://spec.matrix.org/v1.19/client-server-api/#login
// https://spec.matrix.org/v1.19/client-server-api/#post_matrixclientv1loginget_token
import { randomBytes } from "node:crypto";
import { MatrixError } from "../protocol/matrix-error.ts";
import type { AccountsRepo } from "../storage/repos/accounts.ts";
import type { DeviceSessions, SessionResponse } from "./device-sessions.ts";
import { verifyPassword } from "./passwords.ts";
import type { RequestLimiter, Rule } from "./rate-limits.ts";
import { hashToken } from "./tokens.ts";
import { identifiedUser } from "./uia-stages.ts";
import type { AppServiceRegistration, AppServiceRegistry } from "./appservice-registry.ts";

export interface LoginRequest {
  type: string;
  identifier?: unknown;
  user?: unknown;
  password?: unknown;
  token?: unknown;
  device_id?: string;
  initial_device_display_name?: string;
  refresh_token?: boolean;
}

export interface LoginOptions {
  serverName: string;
  repo: Pick<AccountsRepo, "getUser">;
  sessions: DeviceSessions;
  limiter: RequestLimiter;
  limits: { address: Rule; account: Rule; failed_attempts: Rule };
  /** login_via_existing_session: null when disabled. */
  loginTokens: { timeoutMs: number } | null;
  /** Application services log in as users of their namespaces (m.login.application_service). */
  appServices?: Pick<AppServiceRegistry, "all" | "byAsToken" | "ownsUser">;
  now?: () => number;
}

/** Limit: login tokens outstanding at once; the oldest go first. */
const MAX_LOGIN_TOKENS = 10_000;

const forbidden = () => new MatrixError(403, "M_FORBIDDEN", "Invalid username or password");
const deactivated = () => new MatrixError(403, "M_USER_DEACTIVATED", "This account has been deactivated");

export function createLogin(options: LoginOptions) {
  const now = options.now ?? Date.now;
  const { limiter, limits } = options;
  const loginTokens = new Map<string, { userId: string; expiresTs: number }>();

  async function passwordLogin(body: LoginRequest, ip: string): Promise<string> {
    const userId = identifiedUser(body as unknown as Record<string, unknown>, options.serverName);
    if (typeof body.password !== "string") throw new MatrixError(400, "M_MISSING_PARAM", "Missing password");
    if (userId === null) throw forbidden();
    limiter.take(ip, "rc_login.account", limits.account, userId);
    limiter.check(ip, "rc_login.failed_attempts", limits.failed_attempts, userId);
    const user = await options.repo.getUser(userId);
    // Deactivation clears the hash; like Synapse, say so rather than "wrong password".
    if (user?.deactivated) throw deactivated();
    const ok = !!user?.passwordHash && (await verifyPassword(body.password, user.passwordHash));
    if (!ok) {
      limiter.take(ip, "rc_login.failed_attempts", limits.failed_attempts, userId);
      throw forbidden();
    }
    return userId;
  }

  function tokenLogin(body: LoginRequest): string {
    if (typeof body.token !== "string") throw new MatrixError(400, "M_MISSING_PARAM", "Missing token");
    const hash = hashToken(body.token);
    const entry = loginTokens.get(hash);
    loginTokens.delete(hash); // single use
    if (!entry || entry.expiresTs <= now()) throw new MatrixError(403, "M_FORBIDDEN", "Invalid login token");
    return entry.userId;
  }

  /**
   * m.login.application_service: the as_token's AS, as any user of its namespaces.
   * https://spec.matrix.org/v1.19/application-service-api/#server-admin-style-permissions
   */
  function appServiceOf(asToken: string | null): AppServiceRegistration {
    if (asToken === null) throw new MatrixError(401, "M_MISSING_TOKEN", "m.login.application_service needs the application service's as_token");
    const appService = options.appServices?.byAsToken(asToken);
    if (!appService) throw new MatrixError(401, "M_UNKNOWN_TOKEN", "Unknown application service token");
    return appService;
  }

  function appServiceLogin(appService: AppServiceRegistration, body: LoginRequest): string {
    const userId = identifiedUser(body as unknown as Record<string, unknown>, options.serverName);
    if (userId === null || !options.appServices!.ownsUser(appService, userId)) {
      throw new MatrixError(403, "M_EXCLUSIVE", "This user is not in the application service's namespaces");
    }
    return userId;
  }

  /** 404 M_UNRECOGNIZED unless login_via_existing_session is enabled. */
  function requireLoginTokens(): { timeoutMs: number } {
    if (!options.loginTokens) throw new MatrixError(404, "M_UNRECOGNIZED", "Login via an existing session is not enabled");
    return options.loginTokens;
  }

  return {
    /** The flows GET /login advertises: only what POST /login accepts here. */
    flows(): Record<string, unknown>[] {
      const flows: Record<string, unknown>[] = [{ type: "m.login.password" }];
      if (options.loginTokens) flows.push({ type: "m.login.token", get_login_token: true });
      if (options.appServices?.all().length) flows.push({ type: "m.login.application_service" });
      return flows;
    },

    /** `asToken`: the request's access token, read only for m.login.application_service. */
    async login(body: LoginRequest, ip: string, asToken: string | null = null): Promise<SessionResponse> {
      const appService = body.type === "m.login.application_service" && options.appServices ? appServiceOf(asToken) : undefined;
      if (!appService || appService.rateLimited) limiter.take(ip, "rc_login.address", limits.address, ip);
      let userId: string;
      if (appService) userId = appServiceLogin(appService, body);
      else if (body.type === "m.login.password") userId = await passwordLogin(body, ip);
      else if (body.type === "m.login.token" && options.loginTokens) userId = tokenLogin(body);
      else throw new MatrixError(400, "M_UNKNOWN", `Unknown login type ${body.type}`);
      const user = await options.repo.getUser(userId);
      if (!user) throw forbidden();
      if (user.deactivated) throw deactivated();
      return options.sessions.start({
        userId, deviceId: body.device_id, displayName: body.initial_device_display_name, refreshToken: body.refresh_token,
      });
    },

    requireLoginTokens,

    /** A single-use token for m.login.token (the caller has passed UIA when required). */
    mintLoginToken(userId: string): { login_token: string; expires_in_ms: number } {
      const { timeoutMs } = requireLoginTokens();
      for (const [hash, entry] of loginTokens) {
        if (loginTokens.size < MAX_LOGIN_TOKENS && entry.expiresTs > now()) break;
        loginTokens.delete(hash);
      }
      const token = randomBytes(24).toString("base64url");
      loginTokens.set(hashToken(token), { userId, expiresTs: now() + timeoutMs });
      return { login_token: token, expires_in_ms: timeoutMs };
    },
  };
}

export type Login = ReturnType<typeof createLogin>;

// User-interactive authentication: flows, stages, sessions.
// https://spec.matrix.org/v1.19/client-server-api/#user-interactive-authentication-api
//
// An endpoint calls `uia.require({ auth: body.auth, operation, userId, flows })`: it resolves
// once a flow is complete, else throws the spec's 401 (flows, params, session, completed and,
// after a failed attempt, errcode/error). Sessions live in memory and expire.
import { randomBytes } from "node:crypto";
import type { Errcode } from "../protocol/errcodes.ts";
import { MatrixError } from "../protocol/matrix-error.ts";

export interface UiaFlow {
  stages: string[];
}

/** State kept per session; stages may store values (e.g. the registration token used). */
export interface UiaSession {
  id: string;
  operation: string;
  userId: string | null;
  createdTs: number;
  completed: string[];
  data: Record<string, unknown>;
}

/** A failed attempt at a stage: the client may try again (401 with the flows). */
export class UiaStageFailed extends Error {
  constructor(readonly errcode: Errcode, message: string) {
    super(message);
  }
}

/**
 * Checks one stage's auth dict; throws UiaStageFailed for a wrong credential, MatrixError for
 * anything else. `userId` is the user the operation is for (null when registering).
 */
export type UiaStage = (auth: Record<string, unknown>, context: { userId: string | null; session: UiaSession }) => Promise<void>;

/** The 401 of an incomplete authentication; errcode and error only after a failed attempt. */
export class UiaIncomplete extends MatrixError {
  constructor(
    readonly body: { flows: UiaFlow[]; params: Record<string, unknown>; session: string; completed: string[] },
    readonly failure?: { errcode: Errcode; error: string },
  ) {
    super(401, failure?.errcode ?? "M_UNAUTHORIZED", failure?.error ?? "Authentication required");
  }
  override toJSON(): Record<string, unknown> {
    const { completed, ...rest } = this.body;
    return { ...rest, ...(completed.length > 0 ? { completed } : {}), ...(this.failure ?? {}) };
  }
}

/** Synapse keeps UIA sessions 48 hours. */
export const UIA_SESSION_LIFETIME_MS = 48 * 3600_000;

export interface UiaRequest {
  /** The request body's `auth`, if any. */
  auth: unknown;
  /** Names what the session authorises ("register", "delete_devices", ...): a session is bound to it. */
  operation: string;
  /** Whose credentials the stages check; null for registration. */
  userId: string | null;
  flows: UiaFlow[];
  params?: Record<string, unknown>;
}

export interface UiaOptions {
  stages: Record<string, UiaStage>;
  /** Called when a session expires unfinished, e.g. to give back a reserved registration token use. */
  onExpire?: (session: UiaSession) => void | Promise<void>;
  lifetimeMs?: number;
  now?: () => number;
}

export function createUia(options: UiaOptions) {
  const now = options.now ?? Date.now;
  const lifetimeMs = options.lifetimeMs ?? UIA_SESSION_LIFETIME_MS;
  const sessions = new Map<string, UiaSession>();

  const expired = (session: UiaSession) => now() - session.createdTs >= lifetimeMs;
  const sweep = async () => {
    for (const session of sessions.values()) {
      if (!expired(session)) continue;
      sessions.delete(session.id);
      await options.onExpire?.(session);
    }
  };
  const incomplete = (request: UiaRequest, session: UiaSession, failure?: { errcode: Errcode; error: string }) =>
    new UiaIncomplete({ flows: request.flows, params: request.params ?? {}, session: session.id, completed: [...session.completed] }, failure);
  const done = (request: UiaRequest, session: UiaSession) =>
    request.flows.some((flow) => flow.stages.every((stage) => session.completed.includes(stage)));

  return {
    /** Resolves with the completed session (removed from the store), or throws UiaIncomplete / MatrixError. */
    async require(request: UiaRequest): Promise<UiaSession> {
      await sweep();
      const auth = typeof request.auth === "object" && request.auth !== null && !Array.isArray(request.auth) ? (request.auth as Record<string, unknown>) : null;
      if (request.auth !== undefined && auth === null) throw new MatrixError(400, "M_BAD_JSON", "auth must be an object");
      let session: UiaSession | undefined;
      if (auth && auth.session !== undefined) {
        session = typeof auth.session === "string" ? sessions.get(auth.session) : undefined;
        // Expired sessions were swept above, so they are unknown here (Synapse answers the same way).
        if (!session) throw new MatrixError(400, "M_UNKNOWN", "Unknown or expired session");
        if (session.operation !== request.operation || session.userId !== request.userId) {
          throw new MatrixError(403, "M_FORBIDDEN", "This session was started for another request");
        }
      }
      if (!session) {
        session = { id: randomBytes(18).toString("base64url"), operation: request.operation, userId: request.userId, createdTs: now(), completed: [], data: {} };
        sessions.set(session.id, session);
      }
      const type = auth?.type;
      if (type !== undefined && !done(request, session)) {
        if (typeof type !== "string" || !request.flows.some((flow) => flow.stages.includes(type)) || !options.stages[type]) {
          throw incomplete(request, session, { errcode: "M_UNRECOGNIZED", error: `Unsupported authentication type ${String(type)}` });
        }
        if (!session.completed.includes(type)) {
          try {
            await options.stages[type]!(auth!, { userId: request.userId, session });
          } catch (error) {
            if (error instanceof UiaStageFailed) throw incomplete(request, session, { errcode: error.errcode, error: error.message });
            throw error;
          }
          session.completed.push(type);
        }
      }
      if (!done(request, session)) throw incomplete(request, session);
      sessions.delete(session.id);
      return session;
    },

    /** Sessions in memory (tests). */
    get size(): number {
      return sessions.size;
    },
  };
}

export type Uia = ReturnType<typeof createUia>;

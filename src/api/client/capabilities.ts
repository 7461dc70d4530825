// GET /capabilities
// https://spec.matrix.org/v1.19/client-server-api/#capabilities-negotiation
import { endpoint } from "../../http/endpoint.ts";

/** The slice of the engine's room version table capabilities need (engine.roomVersions fits). */
export type RoomVersionStabilities = ReadonlyMap<string, { stability: "stable" | "unstable" }>;

export interface CapabilitiesDeps {
  roomVersions: RoomVersionStabilities;
  /** Config default_room_version; must be in roomVersions (checked when the endpoint is built). */
  defaultRoomVersion: string;
  /** Whether POST /v1/login/get_token is served. */
  loginTokens: boolean;
  /** Server admins may lock and suspend accounts (PUT /_matrix/client/v1/admin/lock|suspend); without it, nobody. */
  isAdmin?: (userId: string) => Promise<boolean>;
}

export function capabilitiesEndpoints(deps: CapabilitiesDeps) {
  if (!deps.roomVersions.has(deps.defaultRoomVersion)) {
    throw new Error(`default_room_version: "${deps.defaultRoomVersion}" is not a room version Myelin supports (${[...deps.roomVersions.keys()].join(", ")})`);
  }
  const capabilities = {
    "m.change_password": { enabled: true },
    "m.room_versions": {
      default: deps.defaultRoomVersion,
      available: Object.fromEntries([...deps.roomVersions].map(([id, rules]) => [id, rules.stability])),
    },
    // Every profile field may be changed (guests: displayname only, see profile.ts).
    "m.profile_fields": { enabled: true },
    "m.set_displayname": { enabled: true },
    "m.set_avatar_url": { enabled: true },
    // No third-party identifiers yet (no identity server, no email or SMS).
    "m.3pid_changes": { enabled: false },
    "m.get_login_token": { enabled: deps.loginTokens },
  };
  return [
    endpoint({
      method: "GET",
      paths: ["/_matrix/client/v3/capabilities", "/_matrix/client/r0/capabilities"],
      auth: "accessToken",
      allowGuests: true,
      spec: "https://spec.matrix.org/v1.19/client-server-api/#get_matrixclientv3capabilities",
      handler: async ({ requester }) => {
        // m.account_moderation (v1.18): only for those who may use it, omitted for everyone else.
        if (requester.kind === "user" && (await deps.isAdmin?.(requester.userId))) {
          return { capabilities: { ...capabilities, "m.account_moderation": { lock: true, suspend: true } } };
        }
        return { capabilities };
      },
    }),
  ];
}

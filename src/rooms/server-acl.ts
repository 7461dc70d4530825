// Server ACLs (m.room.server_acl): whether a server may take part in a room. Stored as room
// state like any event; federation (later) asks `serverAllowed` for every incoming request.
// https://spec.matrix.org/v1.19/client-server-api/#server-access-control-lists-acls-for-rooms
// https://spec.matrix.org/v1.19/server-server-api/#server-access-control-lists-acls
import { stateKey } from "../engine/index.ts";
import type { JsonObject } from "../protocol/signed-json.ts";
import type { RoomHeads } from "./room-heads.ts";
import type { EventCache } from "./stored-event.ts";

/** A case-insensitive glob (`*` any run, `?` one character) as a regular expression. */
function globToRegExp(glob: string): RegExp {
  const escaped = glob.replace(/[.+^${}()|[\]\\]/g, "\\$&").replace(/\*/g, ".*").replace(/\?/g, ".");
  return new RegExp(`^${escaped}$`, "is");
}

const strings = (value: unknown): string[] => (Array.isArray(value) ? value.filter((v): v is string => typeof v === "string") : []);

/** An IPv4 literal or a bracketed IPv6 literal (server names never carry bare IPv6). */
const isIpLiteral = (host: string) => /^\d{1,3}(\.\d{1,3}){3}$/.test(host) || host.startsWith("[");

/** The spec's algorithm for one ACL content: IP literals, deny list, then allow list. */
export function aclAllows(content: JsonObject, serverName: string): boolean {
  // Port information is not matched.
  const host = serverName.startsWith("[") ? serverName.slice(0, serverName.indexOf("]") + 1) : serverName.replace(/:\d+$/, "");
  const allowIpLiterals = typeof content.allow_ip_literals === "boolean" ? content.allow_ip_literals : true;
  if (!allowIpLiterals && isIpLiteral(host)) return false;
  if (strings(content.deny).some((glob) => globToRegExp(glob).test(host))) return false;
  return strings(content.allow).some((glob) => globToRegExp(glob).test(host));
}

export interface ServerAcls {
  /** Whether the room's current ACL (if any) lets `serverName` take part. */
  serverAllowed(roomId: string, serverName: string): Promise<boolean>;
}

export function createServerAcls(deps: { heads: RoomHeads; cache: EventCache }): ServerAcls {
  return {
    async serverAllowed(roomId, serverName) {
      const head = await deps.heads.get(roomId);
      const id = head?.state.get(stateKey("m.room.server_acl", ""));
      if (!id) return true;
      const event = await deps.cache.one(id);
      return event ? aclAllows((event.pdu.content as JsonObject | undefined) ?? {}, serverName) : true;
    },
  };
}

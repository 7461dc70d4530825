// The admin API's access rule, declared per route: adminRoute() defines an endpoint whose caller
// must hold the access token of a server admin (users.is_admin); others get Synapse's 403.
// shared/reference/synapse-admin-api/admin-api-authentication.md
import { Type as T, type TSchema } from "@sinclair/typebox";
import { readBody, parseJsonObject } from "../../http/body.ts";
import { endpoint, type Endpoint, type EndpointDefinition, type Requester } from "../../http/endpoint.ts";
import { MatrixError } from "../../protocol/matrix-error.ts";

export type IsAdmin = (userId: string) => Promise<boolean>;

type AdminDefinition<B extends TSchema | undefined, Q extends TSchema | undefined> = Omit<EndpointDefinition<B, Q>, "auth" | "handler" | "allowGuests"> & {
  /** Called with the admin's user id once the check passed. */
  handler: (request: Parameters<EndpointDefinition<B, Q>["handler"]>[0], admin: string) => unknown;
};

/** The admin's user id, or 403 M_FORBIDDEN (no token: 401 from the access token resolver). */
async function requireAdmin(isAdmin: IsAdmin, requester: Requester): Promise<string> {
  if (requester.kind !== "user" || !(await isAdmin(requester.userId))) throw new MatrixError(403, "M_FORBIDDEN", "You are not a server admin");
  return requester.userId;
}

/** A definer of admin endpoints: like endpoint(), with auth fixed to a server admin's access token. */
export function adminRoute(isAdmin: IsAdmin) {
  return <B extends TSchema | undefined = undefined, Q extends TSchema | undefined = undefined>(definition: AdminDefinition<B, Q>): Endpoint =>
    endpoint<B, Q>({
      ...definition,
      auth: "accessToken",
      handler: async (request) => definition.handler(request, await requireAdmin(isAdmin, request.requester)),
    });
}

/** Limit: bytes of the bodies read by optionalJsonBody (small admin requests). */
const MAX_OPTIONAL_BODY = 65_536;

/** A JSON object body that may also be empty (Synapse's allow_empty_body), as {}. */
export async function optionalJsonBody(request: Request): Promise<Record<string, unknown>> {
  const bytes = await readBody(request, MAX_OPTIONAL_BODY);
  return bytes.length === 0 ? {} : parseJsonObject(bytes);
}

/** Query parameter schemas shared by the admin lists. */
export const boolParam = () => T.Optional(T.Union([T.Literal("true"), T.Literal("false")]));
export const dirParam = () => T.Optional(T.Union([T.Literal("f"), T.Literal("b")]));
export const pageParams = { from: T.Optional(T.Integer({ minimum: 0 })), limit: T.Optional(T.Integer({ minimum: 0 })) };
export const oneOf = (values: readonly string[]) => T.Optional(T.Union(values.map((value) => T.Literal(value))));
/** "true"/"false"/absent as a boolean or undefined. */
export const parseBool = (value: "true" | "false" | undefined) => (value === undefined ? undefined : value === "true");
/** Synapse's default page size. */
export const DEFAULT_LIMIT = 100;

// Application services (bridges, bots) registered by the operator through registration files
// (Synapse's `app_service_config_files`), as the rest of Myelin sees them. Parsed and checked by
// ./appservices.ts; the transaction sender (src/appservice/) reads them too.
// https://spec.matrix.org/v1.19/application-service-api/#registration

export interface AppServiceNamespace {
  exclusive: boolean;
  /** The registration's regex, anchored to the whole value. */
  regex: RegExp;
}

export interface AppServiceRegistration {
  id: string;
  /** Where the homeserver pushes transactions and queries; null: the AS only uses the client API. */
  url: string | null;
  asToken: string;
  hsToken: string;
  /** The AS's own user is @<senderLocalpart>:<server_name>. */
  senderLocalpart: string;
  namespaces: { users: AppServiceNamespace[]; aliases: AppServiceNamespace[]; rooms: AppServiceNamespace[] };
  /** false: exempt from rate limits. */
  rateLimited: boolean;
  protocols: string[];
  /** MSC2409: also push ephemeral events (typing, receipts, presence) in transactions. */
  receiveEphemeral: boolean;
}

export interface AppServiceRegistry {
  all(): readonly AppServiceRegistration[];
  byAsToken(token: string): AppServiceRegistration | undefined;
  byId(id: string): AppServiceRegistration | undefined;
  /** The AS's own user id. */
  senderOf(registration: AppServiceRegistration): string;
  /** Whether the user is the AS's sender or in one of its user namespaces. */
  ownsUser(registration: AppServiceRegistration, userId: string): boolean;
  /** The AS with an exclusive namespace holding this user id / alias, if any. */
  exclusiveOwnerOfUser(userId: string): AppServiceRegistration | undefined;
  exclusiveOwnerOfAlias(alias: string): AppServiceRegistration | undefined;
  matchesAlias(registration: AppServiceRegistration, alias: string): boolean;
  matchesRoom(registration: AppServiceRegistration, roomId: string): boolean;
}

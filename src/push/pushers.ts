// Pushers: GET /pushers and POST /pushers/set, and the in-memory registry delivery reads so
// that an event costs no lookup for users without pushers. Pushers go with the device that set
// them (logout, device deletion) and all of a user's go on deactivation.
// https://spec.matrix.org/v1.19/client-server-api/#get_matrixclientv3pushers
// https://spec.matrix.org/v1.19/client-server-api/#post_matrixclientv3pushersset
import { MatrixError } from "../protocol/matrix-error.ts";
import type { NewPusher, PusherRow, PushersRepo } from "../storage/repos/pushers.ts";
import { invalidParam } from "./rule-checks.ts";

/** The path the spec requires of an HTTP pusher's url. */
export const NOTIFY_PATH = "/_matrix/push/v1/notify";
/** Limit (the spec's): characters of app_id. */
export const MAX_APP_ID_CHARS = 64;
/** Limit (the spec's): bytes of pushkey. */
export const MAX_PUSHKEY_BYTES = 512;
/** Limit: characters of app_display_name, device_display_name, lang and profile_tag. */
export const MAX_TEXT_CHARS = 1_024;
/** Limit: bytes of `data` as JSON (it is forwarded with every push). */
export const MAX_DATA_BYTES = 16_384;
/** Limit: pushers per user (each notification is one request per pusher). */
export const MAX_PUSHERS_PER_USER = 100;

/** The body of POST /pushers/set, its types checked by the endpoint's schema. */
export interface PusherSetRequest {
  kind?: string | null;
  app_id?: string;
  pushkey?: string;
  app_display_name?: string;
  device_display_name?: string;
  profile_tag?: string;
  lang?: string;
  data?: Record<string, unknown>;
  append?: boolean;
}

const missing = (names: string[]) => new MatrixError(400, "M_MISSING_PARAM", `Missing parameters: ${names.join(", ")}`);
const bytes = (text: string) => Buffer.byteLength(text, "utf8");

/** The url of an HTTP pusher: http or https (as Synapse; the spec asks clients for https) with the notify path. */
function checkUrl(url: unknown): void {
  if (url === undefined) throw missing(["url"]);
  if (typeof url !== "string") throw invalidParam("data.url must be a string");
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw invalidParam("data.url is not a URL");
  }
  if (parsed.protocol !== "https:" && parsed.protocol !== "http:") throw invalidParam("data.url must be an https (or http) URL");
  if (parsed.pathname !== NOTIFY_PATH) throw invalidParam(`data.url must have the path ${NOTIFY_PATH}`);
}

/** Validates a set request; null `kind` asks for a deletion. */
function check(request: PusherSetRequest): { delete: true; appId: string; pushkey: string } | { delete: false; fields: Omit<NewPusher, "userId" | "deviceId" | "createdTs">; append: boolean } {
  const required = request.kind === null ? ["app_id", "pushkey"] : ["kind", "app_id", "app_display_name", "device_display_name", "pushkey", "lang", "data"];
  const absent = required.filter((name) => request[name as keyof PusherSetRequest] === undefined);
  if (absent.length > 0) throw missing(absent);
  const appId = request.app_id!;
  const pushkey = request.pushkey!;
  if ([...appId].length > MAX_APP_ID_CHARS) throw invalidParam(`app_id is longer than ${MAX_APP_ID_CHARS} characters`);
  if (bytes(pushkey) > MAX_PUSHKEY_BYTES) throw invalidParam(`pushkey is longer than ${MAX_PUSHKEY_BYTES} bytes`);
  if (request.kind === null) return { delete: true, appId, pushkey };
  if (request.kind === "email") throw invalidParam("Email pushers are not supported: this server keeps no email addresses");
  if (request.kind !== "http") throw invalidParam(`Unknown pusher kind '${request.kind}': only http is supported`);
  for (const name of ["app_display_name", "device_display_name", "lang", "profile_tag"] as const) {
    const value = request[name];
    if (value !== undefined && [...value].length > MAX_TEXT_CHARS) throw invalidParam(`${name} is longer than ${MAX_TEXT_CHARS} characters`);
  }
  const data = request.data!;
  if (bytes(JSON.stringify(data)) > MAX_DATA_BYTES) throw invalidParam(`data is larger than ${MAX_DATA_BYTES} bytes`);
  checkUrl(data.url);
  return {
    delete: false,
    append: request.append ?? false,
    fields: {
      kind: "http", appId, pushkey, data, lang: request.lang!, appDisplayName: request.app_display_name!,
      deviceDisplayName: request.device_display_name!, profileTag: request.profile_tag ?? null,
    },
  };
}

/** A pusher as GET /pushers shows it. */
function toClient(row: PusherRow) {
  return {
    pushkey: row.pushkey, kind: row.kind, app_id: row.appId, app_display_name: row.appDisplayName,
    device_display_name: row.deviceDisplayName, ...(row.profileTag === null ? {} : { profile_tag: row.profileTag }),
    lang: row.lang, data: row.data,
  };
}

export async function createPushers(deps: {
  repo: Pick<PushersRepo, "all" | "ofUser" | "upsert" | "delete" | "deleteByDevices" | "deleteAllOf">;
  now: () => number;
  /** The event stream's persisted position (rooms' StreamTracker.persistedUpTo). */
  streamPosition: () => number;
}) {
  const { repo } = deps;
  // Every pusher, by id and by user: delivery asks "has this user any?" for each notification.
  const byId = new Map<number, PusherRow>();
  const byUser = new Map<string, Map<number, PusherRow>>();
  // A new pusher gets the notifications of later events only (as Synapse), not those of events
  // sent before it whose evaluation was still queued.
  const startsAfter = new Map<number, number>();
  const add = (row: PusherRow) => {
    byId.set(row.id, row);
    let own = byUser.get(row.userId);
    if (!own) byUser.set(row.userId, (own = new Map()));
    own.set(row.id, row);
  };
  const remove = (rows: readonly PusherRow[]) => {
    for (const row of rows) {
      byId.delete(row.id);
      startsAfter.delete(row.id);
      const own = byUser.get(row.userId);
      own?.delete(row.id);
      if (own?.size === 0) byUser.delete(row.userId);
    }
  };
  for (const row of await repo.all()) add(row);

  const deleteOne = async (userId: string, appId: string, pushkey: string) => {
    const row = await repo.delete(userId, appId, pushkey);
    if (row) remove([row]);
  };

  return {
    async list(userId: string) {
      return { pushers: (await repo.ofUser(userId)).map(toClient) };
    },

    /** POST /pushers/set: create, replace or (kind null) delete the user's pusher for this app_id and pushkey. */
    async set(userId: string, deviceId: string | null, request: PusherSetRequest): Promise<void> {
      const checked = check(request);
      if (checked.delete) return deleteOne(userId, checked.appId, checked.pushkey);
      const own = [...(byUser.get(userId)?.values() ?? [])];
      const replaces = own.some((row) => row.appId === checked.fields.appId && row.pushkey === checked.fields.pushkey);
      if (!replaces && own.length >= MAX_PUSHERS_PER_USER) throw invalidParam(`A user may have at most ${MAX_PUSHERS_PER_USER} pushers`);
      // append false (the default): the pushkey now belongs to this user alone.
      const { stored, removed } = await repo.upsert({ ...checked.fields, userId, deviceId, createdTs: deps.now() }, !checked.append);
      remove(removed);
      add(stored);
      startsAfter.set(stored.id, deps.streamPosition());
    },

    /** Deletes one pusher (a gateway rejected its pushkey). */
    delete: deleteOne,

    /** Device events: the pushers set from deleted devices go with them. */
    async devicesDeleted(userId: string, deviceIds: readonly string[]): Promise<void> {
      if (!byUser.has(userId)) return;
      remove(await repo.deleteByDevices(userId, deviceIds));
    },

    /** Deactivation: every pusher of the user goes. */
    async userDeactivated(userId: string): Promise<void> {
      remove(await repo.deleteAllOf(userId));
    },

    /** The registry delivery reads. */
    get: (id: number): PusherRow | undefined => byId.get(id),
    ofUser: (userId: string): Iterable<PusherRow> => byUser.get(userId)?.values() ?? [],
    hasAny: (userId: string): boolean => byUser.has(userId),
    /** The stream position a pusher set since the start notifies after (0: every event). */
    startsAfter: (id: number): number => startsAfter.get(id) ?? 0,
  };
}

export type Pushers = Awaited<ReturnType<typeof createPushers>>;

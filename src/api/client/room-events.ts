// Sending and reading room state: PUT /send/{eventType}/{txnId}, PUT/GET /state/{eventType}/{stateKey},
// GET /state, PUT /redact/{eventId}/{txnId}.
// https://spec.matrix.org/v1.19/client-server-api/#sending-events-to-a-room
// https://spec.matrix.org/v1.19/client-server-api/#getting-events-for-a-room
import { Type as T } from "@sinclair/typebox";
import { endpoint, type Requester } from "../../http/endpoint.ts";
import { MatrixError } from "../../protocol/matrix-error.ts";
import type { ClientEventFormatter } from "../../rooms/client-events.ts";
import type { RoomEvents } from "../../rooms/room-events.ts";
import { requesterUser } from "./requester-user.ts";

const versions = (path: string) => [`/_matrix/client/v3${path}`, `/_matrix/client/r0${path}`];
const SPEC = "https://spec.matrix.org/v1.19/client-server-api/";
const Json = T.Record(T.String(), T.Unknown());
/** `ts` stays a string here: only application services' values are read (and checked). */
const MassagedTs = T.Object({ ts: T.Optional(T.String()) });

/**
 * An application service's `ts`: the event's origin_server_ts; others' `ts` is ignored, as in Synapse.
 * https://spec.matrix.org/v1.19/application-service-api/#timestamp-massaging
 */
function massagedTs(requester: Requester, ts: string | undefined): number | undefined {
  if (ts === undefined || requester.kind !== "user" || requester.appserviceId === undefined) return undefined;
  const value = /^\d{1,16}$/.test(ts) ? Number(ts) : NaN;
  if (!Number.isSafeInteger(value)) throw new MatrixError(400, "M_INVALID_PARAM", "ts must be a timestamp in milliseconds (a non-negative integer)");
  return value;
}

export const roomEventEndpoints = (deps: { events: RoomEvents; formatter: ClientEventFormatter }) => {
  const { events } = deps;
  const putState = (path: string) =>
    endpoint({
      method: "PUT",
      paths: versions(path),
      auth: "accessToken",
      allowGuests: true,
      rateLimit: "rc_message",
      body: Json,
      query: MassagedTs,
      spec: `${SPEC}#put_matrixclientv3roomsroomidstateeventtypestatekey`,
      handler: async ({ requester, params, body, query }) => {
        const user = requesterUser(requester);
        return { event_id: await events.setState(params.roomId!, user, params.eventType!, params.stateKey ?? "", body, massagedTs(requester, query.ts)) };
      },
    });
  const getState = (path: string) =>
    endpoint({
      method: "GET",
      paths: versions(path),
      auth: "accessToken",
      allowGuests: true,
      query: T.Object({ format: T.Optional(T.Union([T.Literal("content"), T.Literal("event")])) }),
      spec: `${SPEC}#get_matrixclientv3roomsroomidstateeventtypestatekey`,
      handler: async ({ requester, params, query }) => {
        const user = requesterUser(requester);
        const event = await events.getState(params.roomId!, user.userId, params.eventType!, params.stateKey ?? "");
        const [formatted] = await deps.formatter.format([event], user);
        return query.format === "event" ? formatted : formatted!.content;
      },
    });
  return [
    endpoint({
      method: "PUT",
      paths: versions("/rooms/:roomId/send/:eventType/:txnId"),
      auth: "accessToken",
      allowGuests: true,
      rateLimit: "rc_message",
      body: Json,
      query: MassagedTs,
      spec: `${SPEC}#put_matrixclientv3roomsroomidsendeventtypetxnid`,
      handler: async ({ requester, params, body, query }) => {
        // Guests may send any event type since v1.2 (guest access module).
        const user = requesterUser(requester);
        return { event_id: await events.send(params.roomId!, user, params.eventType!, body, params.txnId!, massagedTs(requester, query.ts)) };
      },
    }),
    putState("/rooms/:roomId/state/:eventType/:stateKey"),
    putState("/rooms/:roomId/state/:eventType"),
    getState("/rooms/:roomId/state/:eventType/:stateKey"),
    getState("/rooms/:roomId/state/:eventType"),
    endpoint({
      method: "GET",
      paths: versions("/rooms/:roomId/state"),
      auth: "accessToken",
      allowGuests: true,
      spec: `${SPEC}#get_matrixclientv3roomsroomidstate`,
      handler: ({ requester, params }) => events.getAllState(params.roomId!, requesterUser(requester)),
    }),
    endpoint({
      method: "PUT",
      paths: versions("/rooms/:roomId/redact/:eventId/:txnId"),
      auth: "accessToken",
      rateLimit: "rc_message",
      body: T.Object({ reason: T.Optional(T.String()) }),
      spec: `${SPEC}#put_matrixclientv3roomsroomidredacteventidtxnid`,
      handler: async ({ requester, params, body }) => ({
        event_id: await events.redact(params.roomId!, requesterUser(requester), params.eventId!, params.txnId!, body.reason),
      }),
    }),
  ];
};

// Reading room history and members: GET /rooms/{roomId}/messages, /context/{eventId},
// /event/{eventId}, /members, /joined_members, /joined_rooms and v1 /timestamp_to_event.
// https://spec.matrix.org/v1.19/client-server-api/#getting-events-for-a-room
// https://spec.matrix.org/v1.19/client-server-api/#room-history-visibility
import { Type as T } from "@sinclair/typebox";
import { endpoint } from "../../http/endpoint.ts";
import { MatrixError } from "../../protocol/matrix-error.ts";
import type { RoomHistory } from "../../rooms/history.ts";
import type { RoomMembers } from "../../rooms/members.ts";
import { requesterUser } from "./requester-user.ts";

const versions = (path: string) => [`/_matrix/client/v3${path}`, `/_matrix/client/r0${path}`];
const SPEC = "https://spec.matrix.org/v1.19/client-server-api/";

const Membership = T.Union([T.Literal("join"), T.Literal("invite"), T.Literal("knock"), T.Literal("leave"), T.Literal("ban")]);
const Limit = T.Optional(T.Integer({ minimum: 0 }));

/** `dir` is required and b or f: M_MISSING_PARAM when absent, M_INVALID_PARAM otherwise. */
function direction(dir: string | undefined): "b" | "f" {
  if (dir === undefined) throw new MatrixError(400, "M_MISSING_PARAM", "dir is required");
  if (dir !== "b" && dir !== "f") throw new MatrixError(400, "M_INVALID_PARAM", "dir must be b or f");
  return dir;
}

export const roomHistoryEndpoints = (deps: { history: RoomHistory; members: RoomMembers }) => {
  const { history, members } = deps;
  return [
    endpoint({
      method: "GET",
      paths: versions("/rooms/:roomId/messages"),
      auth: "accessToken",
      allowGuests: true,
      query: T.Object({ dir: T.Optional(T.String()), from: T.Optional(T.String()), to: T.Optional(T.String()), limit: Limit, filter: T.Optional(T.String()) }),
      spec: `${SPEC}#get_matrixclientv3roomsroomidmessages`,
      handler: ({ requester, params, query }) =>
        history.messages(params.roomId!, requesterUser(requester), { ...query, dir: direction(query.dir) }),
    }),
    endpoint({
      method: "GET",
      paths: versions("/rooms/:roomId/context/:eventId"),
      auth: "accessToken",
      allowGuests: true,
      query: T.Object({ limit: Limit, filter: T.Optional(T.String()) }),
      spec: `${SPEC}#get_matrixclientv3roomsroomidcontexteventid`,
      handler: ({ requester, params, query }) => history.context(params.roomId!, params.eventId!, requesterUser(requester), query),
    }),
    endpoint({
      method: "GET",
      paths: versions("/rooms/:roomId/event/:eventId"),
      auth: "accessToken",
      allowGuests: true,
      spec: `${SPEC}#get_matrixclientv3roomsroomideventeventid`,
      handler: ({ requester, params }) => history.event(params.roomId!, params.eventId!, requesterUser(requester)),
    }),
    endpoint({
      method: "GET",
      paths: ["/_matrix/client/v1/rooms/:roomId/timestamp_to_event"],
      auth: "accessToken",
      query: T.Object({ ts: T.Optional(T.Integer()), dir: T.Optional(T.String()) }),
      spec: `${SPEC}#get_matrixclientv1roomsroomidtimestamp_to_event`,
      handler: ({ requester, params, query }) => {
        if (query.ts === undefined) throw new MatrixError(400, "M_MISSING_PARAM", "ts is required");
        return history.timestampToEvent(params.roomId!, requesterUser(requester).userId, query.ts, direction(query.dir));
      },
    }),
    endpoint({
      method: "GET",
      paths: versions("/rooms/:roomId/members"),
      auth: "accessToken",
      allowGuests: true,
      query: T.Object({ at: T.Optional(T.String()), membership: T.Optional(Membership), not_membership: T.Optional(Membership) }),
      spec: `${SPEC}#get_matrixclientv3roomsroomidmembers`,
      handler: ({ requester, params, query }) =>
        members.members(params.roomId!, requesterUser(requester), { at: query.at, membership: query.membership, notMembership: query.not_membership }),
    }),
    endpoint({
      method: "GET",
      paths: versions("/rooms/:roomId/joined_members"),
      auth: "accessToken",
      spec: `${SPEC}#get_matrixclientv3roomsroomidjoined_members`,
      handler: ({ requester, params }) => members.joinedMembers(params.roomId!, requesterUser(requester).userId),
    }),
    endpoint({
      method: "GET",
      paths: versions("/joined_rooms"),
      auth: "accessToken",
      spec: `${SPEC}#get_matrixclientv3joined_rooms`,
      handler: ({ requester }) => members.joinedRooms(requesterUser(requester).userId),
    }),
  ];
};

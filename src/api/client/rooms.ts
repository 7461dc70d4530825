// Creating rooms and room membership: POST /createRoom, /join/{roomIdOrAlias}, /rooms/{roomId}/
// {join, invite, leave, forget, kick, ban, unban}, /knock/{roomIdOrAlias}.
// https://spec.matrix.org/v1.19/client-server-api/#creation
// https://spec.matrix.org/v1.19/client-server-api/#room-membership
import { Type as T } from "@sinclair/typebox";
import { endpoint } from "../../http/endpoint.ts";
import type { RoomCreator } from "../../rooms/create-room.ts";
import type { Membership } from "../../rooms/membership.ts";
import { MatrixError } from "../../protocol/matrix-error.ts";
import { requesterUser } from "./requester-user.ts";

const versions = (path: string) => [`/_matrix/client/v3${path}`, `/_matrix/client/r0${path}`];
const SPEC = "https://spec.matrix.org/v1.19/client-server-api/";
const Json = T.Record(T.String(), T.Unknown());

const CreateRoomBody = T.Object({
  visibility: T.Optional(T.Union([T.Literal("public"), T.Literal("private")])),
  room_alias_name: T.Optional(T.String()),
  name: T.Optional(T.String()),
  topic: T.Optional(T.String()),
  invite: T.Optional(T.Array(T.String())),
  invite_3pid: T.Optional(T.Array(Json)),
  room_version: T.Optional(T.String()),
  creation_content: T.Optional(Json),
  initial_state: T.Optional(T.Array(T.Object({ type: T.String(), state_key: T.Optional(T.String()), content: Json }))),
  preset: T.Optional(T.Union([T.Literal("private_chat"), T.Literal("trusted_private_chat"), T.Literal("public_chat")])),
  is_direct: T.Optional(T.Boolean()),
  power_level_content_override: T.Optional(Json),
});

const Reason = T.Object({ reason: T.Optional(T.String()) });
const Target = T.Object({ user_id: T.String(), reason: T.Optional(T.String()) });

export const roomEndpoints = (deps: { creator: RoomCreator; membership: Membership }) => {
  const { creator, membership } = deps;
  const about = (name: "kick" | "ban" | "unban" | "invite", anchor: string) =>
    endpoint({
      method: "POST",
      paths: versions(`/rooms/:roomId/${name}`),
      auth: "accessToken",
      body: Target,
      spec: `${SPEC}#${anchor}`,
      handler: async ({ requester, params, body }) => {
        await membership[name](params.roomId!, requesterUser(requester).userId, body.user_id, { reason: body.reason });
        return {};
      },
    });
  return [
    endpoint({
      method: "POST",
      paths: versions("/createRoom"),
      auth: "accessToken",
      body: CreateRoomBody,
      spec: `${SPEC}#post_matrixclientv3createroom`,
      handler: ({ requester, body }) => {
        if (body.invite_3pid && body.invite_3pid.length > 0) {
          throw new MatrixError(400, "M_THREEPID_MEDIUM_NOT_SUPPORTED", "Third-party invites are not supported");
        }
        return creator.createRoom(requesterUser(requester).userId, body);
      },
    }),
    endpoint({
      method: "POST",
      paths: versions("/join/:roomIdOrAlias"),
      auth: "accessToken",
      allowGuests: true,
      body: Reason,
      spec: `${SPEC}#post_matrixclientv3joinroomidoralias`,
      handler: async ({ requester, params, body, searchParams }) => {
        const via = [...searchParams.getAll("via"), ...searchParams.getAll("server_name")];
        const user = requesterUser(requester);
        return { room_id: await membership.join(params.roomIdOrAlias!, user.userId, { reason: body.reason, via, isGuest: user.isGuest }) };
      },
    }),
    endpoint({
      method: "POST",
      paths: versions("/rooms/:roomId/join"),
      auth: "accessToken",
      allowGuests: true,
      body: Reason,
      spec: `${SPEC}#post_matrixclientv3roomsroomidjoin`,
      handler: async ({ requester, params, body }) => {
        const user = requesterUser(requester);
        return { room_id: await membership.join(params.roomId!, user.userId, { reason: body.reason, isGuest: user.isGuest }) };
      },
    }),
    endpoint({
      method: "POST",
      paths: versions("/rooms/:roomId/leave"),
      auth: "accessToken",
      allowGuests: true,
      body: Reason,
      spec: `${SPEC}#post_matrixclientv3roomsroomidleave`,
      handler: async ({ requester, params, body }) => {
        await membership.leave(params.roomId!, requesterUser(requester).userId, { reason: body.reason });
        return {};
      },
    }),
    endpoint({
      method: "POST",
      paths: versions("/rooms/:roomId/forget"),
      auth: "accessToken",
      allowGuests: true,
      spec: `${SPEC}#post_matrixclientv3roomsroomidforget`,
      handler: async ({ requester, params }) => {
        await membership.forget(params.roomId!, requesterUser(requester).userId);
        return {};
      },
    }),
    endpoint({
      method: "POST",
      paths: versions("/knock/:roomIdOrAlias"),
      auth: "accessToken",
      body: Reason,
      spec: `${SPEC}#post_matrixclientv3knockroomidoralias`,
      handler: async ({ requester, params, body }) => ({
        room_id: await membership.knock(params.roomIdOrAlias!, requesterUser(requester).userId, { reason: body.reason }),
      }),
    }),
    about("invite", "post_matrixclientv3roomsroomidinvite"),
    about("kick", "post_matrixclientv3roomsroomidkick"),
    about("ban", "post_matrixclientv3roomsroomidban"),
    about("unban", "post_matrixclientv3roomsroomidunban"),
  ];
};

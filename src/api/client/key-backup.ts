// Server-side key backups: /room_keys/version[/{version}] and /room_keys/keys[/{roomId}[/{sessionId}]].
// https://spec.matrix.org/v1.19/client-server-api/#server-side-key-backups
import { Type as T } from "@sinclair/typebox";
import type { KeyBackup } from "../../auth/key-backup.ts";
import { endpoint } from "../../http/endpoint.ts";
import { notFound } from "../../protocol/matrix-error.ts";
import { requesterUser } from "./requester-user.ts";

const versions = (path: string) => [`/_matrix/client/v3${path}`, `/_matrix/client/r0${path}`, `/_matrix/client/unstable${path}`];
const spec = (anchor: string) => `https://spec.matrix.org/v1.19/client-server-api/#${anchor}`;

const VersionBody = T.Object({ algorithm: T.String(), auth_data: T.Record(T.String(), T.Unknown()), version: T.Optional(T.String()) });
const KeyBackupData = T.Object({
  first_message_index: T.Integer({ minimum: 0 }),
  forwarded_count: T.Integer({ minimum: 0 }),
  is_verified: T.Boolean(),
  session_data: T.Record(T.String(), T.Unknown()),
});
const RoomKeyBackup = T.Object({ sessions: T.Record(T.String(), KeyBackupData) });
const VersionQuery = T.Object({ version: T.String() });

export const keyBackupEndpoints = (keyBackup: KeyBackup) => [
  endpoint({
    method: "POST",
    paths: versions("/room_keys/version"),
    auth: "accessToken",
    body: VersionBody,
    spec: spec("post_matrixclientv3room_keysversion"),
    handler: ({ requester, body }) => keyBackup.createVersion(requesterUser(requester).userId, body.algorithm, body.auth_data as Record<string, unknown>),
  }),
  endpoint({
    method: "GET",
    paths: versions("/room_keys/version"),
    auth: "accessToken",
    spec: spec("get_matrixclientv3room_keysversion"),
    handler: ({ requester }) => keyBackup.getVersion(requesterUser(requester).userId),
  }),
  endpoint({
    method: "GET",
    paths: versions("/room_keys/version/:version"),
    auth: "accessToken",
    spec: spec("get_matrixclientv3room_keysversionversion"),
    handler: ({ requester, params }) => keyBackup.getVersion(requesterUser(requester).userId, params.version!),
  }),
  endpoint({
    method: "PUT",
    paths: versions("/room_keys/version/:version"),
    auth: "accessToken",
    body: VersionBody,
    spec: spec("put_matrixclientv3room_keysversionversion"),
    handler: async ({ requester, params, body }) => {
      await keyBackup.updateVersion(requesterUser(requester).userId, params.version!, { ...body, auth_data: body.auth_data as Record<string, unknown> });
      return {};
    },
  }),
  endpoint({
    method: "DELETE",
    paths: versions("/room_keys/version/:version"),
    auth: "accessToken",
    spec: spec("delete_matrixclientv3room_keysversionversion"),
    handler: async ({ requester, params }) => {
      await keyBackup.deleteVersion(requesterUser(requester).userId, params.version!);
      return {};
    },
  }),

  // Keys: all rooms, one room, one session.
  endpoint({
    method: "PUT",
    paths: versions("/room_keys/keys"),
    auth: "accessToken",
    query: VersionQuery,
    body: T.Object({ rooms: T.Record(T.String(), RoomKeyBackup) }),
    spec: spec("put_matrixclientv3room_keyskeys"),
    handler: ({ requester, query, body }) => keyBackup.putKeys(requesterUser(requester).userId, query.version, body.rooms as never),
  }),
  endpoint({
    method: "PUT",
    paths: versions("/room_keys/keys/:roomId"),
    auth: "accessToken",
    query: VersionQuery,
    body: RoomKeyBackup,
    spec: spec("put_matrixclientv3room_keyskeysroomid"),
    handler: ({ requester, query, params, body }) => keyBackup.putKeys(requesterUser(requester).userId, query.version, { [params.roomId!]: body as never }),
  }),
  endpoint({
    method: "PUT",
    paths: versions("/room_keys/keys/:roomId/:sessionId"),
    auth: "accessToken",
    query: VersionQuery,
    body: KeyBackupData,
    spec: spec("put_matrixclientv3room_keyskeysroomidsessionid"),
    handler: ({ requester, query, params, body }) =>
      keyBackup.putKeys(requesterUser(requester).userId, query.version, { [params.roomId!]: { sessions: { [params.sessionId!]: body as never } } }),
  }),
  endpoint({
    method: "GET",
    paths: versions("/room_keys/keys"),
    auth: "accessToken",
    query: VersionQuery,
    spec: spec("get_matrixclientv3room_keyskeys"),
    handler: ({ requester, query }) => keyBackup.getKeys(requesterUser(requester).userId, query.version, {}),
  }),
  endpoint({
    method: "GET",
    paths: versions("/room_keys/keys/:roomId"),
    auth: "accessToken",
    query: VersionQuery,
    spec: spec("get_matrixclientv3room_keyskeysroomid"),
    handler: async ({ requester, query, params }) => {
      const { rooms } = await keyBackup.getKeys(requesterUser(requester).userId, query.version, { roomId: params.roomId! });
      return rooms[params.roomId!] ?? { sessions: {} };
    },
  }),
  endpoint({
    method: "GET",
    paths: versions("/room_keys/keys/:roomId/:sessionId"),
    auth: "accessToken",
    query: VersionQuery,
    spec: spec("get_matrixclientv3room_keyskeysroomidsessionid"),
    handler: async ({ requester, query, params }) => {
      const { rooms } = await keyBackup.getKeys(requesterUser(requester).userId, query.version, { roomId: params.roomId!, sessionId: params.sessionId! });
      const session = rooms[params.roomId!]?.sessions[params.sessionId!];
      if (!session) throw notFound("No backup found for this session");
      return session;
    },
  }),
  endpoint({
    method: "DELETE",
    paths: versions("/room_keys/keys"),
    auth: "accessToken",
    query: VersionQuery,
    spec: spec("delete_matrixclientv3room_keyskeys"),
    handler: ({ requester, query }) => keyBackup.deleteKeys(requesterUser(requester).userId, query.version, {}),
  }),
  endpoint({
    method: "DELETE",
    paths: versions("/room_keys/keys/:roomId"),
    auth: "accessToken",
    query: VersionQuery,
    spec: spec("delete_matrixclientv3room_keyskeysroomid"),
    handler: ({ requester, query, params }) => keyBackup.deleteKeys(requesterUser(requester).userId, query.version, { roomId: params.roomId! }),
  }),
  endpoint({
    method: "DELETE",
    paths: versions("/room_keys/keys/:roomId/:sessionId"),
    auth: "accessToken",
    query: VersionQuery,
    spec: spec("delete_matrixclientv3room_keyskeysroomidsessionid"),
    handler: ({ requester, query, params }) =>
      keyBackup.deleteKeys(requesterUser(requester).userId, query.version, { roomId: params.roomId!, sessionId: params.sessionId! }),
  }),
];

// Room tagging: GET /user/{userId}/rooms/{roomId}/tags, PUT/DELETE .../tags/{tag}
// https://spec.matrix.org/v1.19/client-server-api/#room-tagging
import { Type as T } from "@sinclair/typebox";
import { endpoint } from "../../http/endpoint.ts";
import type { TagsService } from "../../rooms/tags.ts";
import { requesterUser } from "./requester-user.ts";

const versions = (path: string) => [`/_matrix/client/v3${path}`, `/_matrix/client/r0${path}`];
const TAGS = "/user/:userId/rooms/:roomId/tags";

export const tagEndpoints = (tags: TagsService) => [
  endpoint({
    method: "GET",
    paths: versions(TAGS),
    auth: "accessToken",
    spec: "https://spec.matrix.org/v1.19/client-server-api/#get_matrixclientv3useruseridroomsroomidtags",
    handler: ({ requester, params }) => tags.get(requesterUser(requester).userId, params.userId!, params.roomId!),
  }),
  endpoint({
    method: "PUT",
    paths: versions(`${TAGS}/:tag`),
    auth: "accessToken",
    body: T.Record(T.String(), T.Unknown()),
    spec: "https://spec.matrix.org/v1.19/client-server-api/#put_matrixclientv3useruseridroomsroomidtagstag",
    handler: async ({ requester, params, body }) => {
      await tags.put(requesterUser(requester).userId, params.userId!, params.roomId!, params.tag!, body);
      return {};
    },
  }),
  endpoint({
    method: "DELETE",
    paths: versions(`${TAGS}/:tag`),
    auth: "accessToken",
    spec: "https://spec.matrix.org/v1.19/client-server-api/#delete_matrixclientv3useruseridroomsroomidtagstag",
    handler: async ({ requester, params }) => {
      await tags.delete(requesterUser(requester).userId, params.userId!, params.roomId!, params.tag!);
      return {};
    },
  }),
];

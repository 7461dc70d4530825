// Typing notifications: PUT /rooms/{roomId}/typing/{userId}
// https://spec.matrix.org/v1.19/client-server-api/#typing-notifications
import { Type as T } from "@sinclair/typebox";
import { endpoint } from "../../http/endpoint.ts";
import type { Typing } from "../../rooms/typing.ts";
import { requesterUser } from "./requester-user.ts";

const versions = (path: string) => [`/_matrix/client/v3${path}`, `/_matrix/client/r0${path}`];

export const typingEndpoints = (typing: Pick<Typing, "set">) => [
  endpoint({
    method: "PUT",
    paths: versions("/rooms/:roomId/typing/:userId"),
    auth: "accessToken",
    body: T.Object({ typing: T.Boolean(), timeout: T.Optional(T.Integer()) }),
    spec: "https://spec.matrix.org/v1.19/client-server-api/#put_matrixclientv3roomsroomidtypinguserid",
    handler: async ({ requester, params, body }) => {
      await typing.set(requesterUser(requester).userId, params.userId!, params.roomId!, body.typing, body.timeout);
      return {};
    },
  }),
];

// Profiles: GET /profile/{userId}, GET/PUT/DELETE /profile/{userId}/{keyName}
// (displayname and avatar_url included: they are keyNames like any other since v1.16).
// https://spec.matrix.org/v1.19/client-server-api/#profiles
import { Type as T } from "@sinclair/typebox";
import type { Profiles } from "../../auth/profiles.ts";
import { endpoint } from "../../http/endpoint.ts";
import { MatrixError } from "../../protocol/matrix-error.ts";
import { requesterUser } from "./requester-user.ts";

const versions = (path: string) => [`/_matrix/client/v3${path}`, `/_matrix/client/r0${path}`];

/** Guests may change their display name and nothing else (guest access module). */
function checkGuestKey(isGuest: boolean, key: string): void {
  if (isGuest && key !== "displayname") throw new MatrixError(403, "M_GUEST_ACCESS_FORBIDDEN", "Guests may only change their display name");
}

export const profileEndpoints = (profiles: Profiles) => [
  endpoint({
    method: "GET",
    paths: versions("/profile/:userId"),
    auth: "none",
    spec: "https://spec.matrix.org/v1.19/client-server-api/#get_matrixclientv3profileuserid",
    handler: ({ params }) => profiles.get(params.userId!),
  }),
  endpoint({
    method: "GET",
    paths: versions("/profile/:userId/:keyName"),
    auth: "none",
    spec: "https://spec.matrix.org/v1.19/client-server-api/#get_matrixclientv3profileuseridkeyname",
    handler: ({ params }) => profiles.getField(params.userId!, params.keyName!),
  }),
  endpoint({
    method: "PUT",
    paths: versions("/profile/:userId/:keyName"),
    auth: "accessToken",
    allowGuests: true,
    body: T.Record(T.String(), T.Unknown()),
    spec: "https://spec.matrix.org/v1.19/client-server-api/#put_matrixclientv3profileuseridkeyname",
    handler: async ({ requester, params, body }) => {
      const user = requesterUser(requester);
      checkGuestKey(user.isGuest, params.keyName!);
      await profiles.setField(user.userId, params.userId!, params.keyName!, body);
      return {};
    },
  }),
  endpoint({
    method: "DELETE",
    paths: versions("/profile/:userId/:keyName"),
    auth: "accessToken",
    allowGuests: true,
    spec: "https://spec.matrix.org/v1.19/client-server-api/#delete_matrixclientv3profileuseridkeyname",
    handler: async ({ requester, params }) => {
      const user = requesterUser(requester);
      checkGuestKey(user.isGuest, params.keyName!);
      await profiles.deleteField(user.userId, params.userId!, params.keyName!);
      return {};
    },
  }),
];

// Read markers: POST /rooms/{roomId}/read_markers
// https://spec.matrix.org/v1.19/client-server-api/#fully-read-markers
import { Type as T } from "@sinclair/typebox";
import { endpoint } from "../../http/endpoint.ts";
import type { ReadMarkersService } from "../../rooms/read-markers.ts";
import { requesterUser } from "./requester-user.ts";

const versions = (path: string) => [`/_matrix/client/v3${path}`, `/_matrix/client/r0${path}`];

export const readMarkerEndpoints = (readMarkers: ReadMarkersService) => [
  endpoint({
    method: "POST",
    paths: versions("/rooms/:roomId/read_markers"),
    auth: "accessToken",
    // Other keys are ignored, as Synapse does: receipt types must stay extensible.
    body: T.Object({ "m.fully_read": T.Optional(T.String()), "m.read": T.Optional(T.String()), "m.read.private": T.Optional(T.String()) }),
    spec: "https://spec.matrix.org/v1.19/client-server-api/#post_matrixclientv3roomsroomidread_markers",
    handler: async ({ requester, params, body }) => {
      await readMarkers.set(requesterUser(requester).userId, params.roomId!, body);
      return {};
    },
  }),
];

// GET /voip/turnServer: TURN credentials for calls (src/auth/turn-credentials.ts).
// https://spec.matrix.org/v1.19/client-server-api/#get_matrixclientv3voipturnserver
import { endpoint } from "../../http/endpoint.ts";
import type { TurnCredentialSource } from "../../auth/turn-credentials.ts";
import { requesterUser } from "./requester-user.ts";

export const voipEndpoints = (turn: TurnCredentialSource) => [
  endpoint({
    method: "GET",
    paths: ["/_matrix/client/v3/voip/turnServer", "/_matrix/client/r0/voip/turnServer"],
    auth: "accessToken",
    // Guests are refused in the domain unless turn_allow_guests (Synapse's rule), not by the router.
    allowGuests: true,
    spec: "https://spec.matrix.org/v1.19/client-server-api/#get_matrixclientv3voipturnserver",
    handler: ({ requester }) => turn.forUser(requesterUser(requester)),
  }),
];

// POST /_matrix/client/v1/appservice/{appserviceId}/ping: an application service asks the
// homeserver to call its /_matrix/app/v1/ping, to check the homeserver can reach it.
// https://spec.matrix.org/v1.19/application-service-api/#post_matrixclientv1appserviceappserviceidping
import { Type as T } from "@sinclair/typebox";
import { pingAppService, type AppServiceClient } from "../../auth/appservice-client.ts";
import type { AppServiceRegistry } from "../../auth/appservices.ts";
import { endpoint } from "../../http/endpoint.ts";
import { MatrixError } from "../../protocol/matrix-error.ts";

export const appServicePingEndpoints = (deps: { registry: AppServiceRegistry; client: AppServiceClient; timeoutMs?: number }) => [
  endpoint({
    method: "POST",
    paths: ["/_matrix/client/v1/appservice/:appserviceId/ping"],
    auth: "appservice",
    body: T.Object({ transaction_id: T.Optional(T.String()) }),
    spec: "https://spec.matrix.org/v1.19/application-service-api/#post_matrixclientv1appserviceappserviceidping",
    handler: ({ requester, params, body }) => {
      // The spec: 403 when the token belongs to another AS than the one in the path.
      if (requester.kind !== "appservice" || requester.id !== params.appserviceId) {
        throw new MatrixError(403, "M_FORBIDDEN", "Provided access token is not the appservice's as_token");
      }
      return pingAppService(deps.client, deps.registry.byId(requester.id)!, body.transaction_id, { timeoutMs: deps.timeoutMs });
    },
  }),
];

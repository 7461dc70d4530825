// The user behind an 'accessToken' endpoint's requester (guests are already filtered by the
// router: see `allowGuests` on the endpoint definitions).
import type { Requester } from "../../http/endpoint.ts";
import { MatrixError } from "../../protocol/matrix-error.ts";

export interface RequesterUser {
  userId: string;
  deviceId: string | null;
  isGuest: boolean;
}

export function requesterUser(requester: Requester): RequesterUser {
  if (requester.kind !== "user") throw new MatrixError(401, "M_MISSING_TOKEN", "Missing access token");
  return { userId: requester.userId, deviceId: requester.deviceId, isGuest: requester.isGuest };
}

// POST /sync (v4): simplified sliding sync, MSC4186 (/work/shared/msc/4186-simplified-sliding-sync.md),
// on the MSC's path and its unstable one (where Synapse-era clients send `pos` and `timeout` as
// query parameters).
import { Type as T } from "@sinclair/typebox";
import { endpoint } from "../../http/endpoint.ts";
import { MatrixError } from "../../protocol/matrix-error.ts";
import { parseSlidingRequest } from "../../sync/sliding/request.ts";
import type { SlidingSync } from "../../sync/sliding/index.ts";
import { requesterUser } from "./requester-user.ts";

const MSC = "https://github.com/matrix-org/matrix-spec-proposals/pull/4186";

export const slidingSyncEndpoints = (slidingSync: SlidingSync) => [
  endpoint({
    method: "POST",
    paths: ["/_matrix/client/v4/sync", "/_matrix/client/unstable/org.matrix.simplified_msc3575/sync"],
    auth: "accessToken",
    allowGuests: true,
    body: T.Record(T.String(), T.Unknown()),
    query: T.Object({
      pos: T.Optional(T.String()),
      timeout: T.Optional(T.Integer({ minimum: 0 })),
      conn_id: T.Optional(T.String()),
      set_presence: T.Optional(T.Union([T.Literal("offline"), T.Literal("online"), T.Literal("unavailable")])),
    }),
    spec: MSC,
    handler: ({ requester, body, query, request }) => {
      const { userId, deviceId } = requesterUser(requester);
      const parsed = parseSlidingRequest(body, query, userId);
      const presence = body.set_presence ?? query.set_presence;
      if (presence !== undefined && presence !== "offline" && presence !== "online" && presence !== "unavailable") {
        throw new MatrixError(400, "M_INVALID_PARAM", "set_presence must be offline, online or unavailable");
      }
      return slidingSync.sync({ userId, deviceId }, parsed, presence, request.signal);
    },
  }),
];

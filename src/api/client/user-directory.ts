// The user directory: POST /user_directory/search.
// https://spec.matrix.org/v1.19/client-server-api/#post_matrixclientv3user_directorysearch
import { Type as T } from "@sinclair/typebox";
import { endpoint } from "../../http/endpoint.ts";
import type { UserDirectory } from "../../rooms/user-directory.ts";
import { requesterUser } from "./requester-user.ts";

const versions = (path: string) => [`/_matrix/client/v3${path}`, `/_matrix/client/r0${path}`];

export const userDirectoryEndpoints = (deps: { userDirectory: UserDirectory }) => [
  endpoint({
    method: "POST",
    paths: versions("/user_directory/search"),
    auth: "accessToken",
    body: T.Object({ search_term: T.String(), limit: T.Optional(T.Integer({ minimum: 0 })) }),
    spec: "https://spec.matrix.org/v1.19/client-server-api/#post_matrixclientv3user_directorysearch",
    handler: ({ requester, body }) => deps.userDirectory.search(requesterUser(requester).userId, body.search_term, body.limit),
  }),
];

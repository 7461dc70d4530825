// Cross-signing: POST /keys/device_signing/upload and POST /keys/signatures/upload.
// https://spec.matrix.org/v1.19/client-server-api/#cross-signing
import { Type as T } from "@sinclair/typebox";
import type { CrossSigning } from "../../auth/cross-signing.ts";
import { endpoint } from "../../http/endpoint.ts";
import { requesterUser } from "./requester-user.ts";

const versions = (path: string) => [`/_matrix/client/v3${path}`, `/_matrix/client/r0${path}`, `/_matrix/client/unstable${path}`];

export const crossSigningEndpoints = (crossSigning: CrossSigning) => [
  endpoint({
    method: "POST",
    paths: versions("/keys/device_signing/upload"),
    auth: "accessToken",
    body: T.Object({
      master_key: T.Optional(T.Unknown()),
      self_signing_key: T.Optional(T.Unknown()),
      user_signing_key: T.Optional(T.Unknown()),
      auth: T.Optional(T.Unknown()),
    }),
    spec: "https://spec.matrix.org/v1.19/client-server-api/#post_matrixclientv3keysdevice_signingupload",
    handler: async ({ requester, body }) => {
      await crossSigning.upload(requesterUser(requester).userId, body);
      return {};
    },
  }),
  endpoint({
    method: "POST",
    paths: versions("/keys/signatures/upload"),
    auth: "accessToken",
    body: T.Record(T.String(), T.Record(T.String(), T.Unknown())),
    spec: "https://spec.matrix.org/v1.19/client-server-api/#post_matrixclientv3keyssignaturesupload",
    handler: ({ requester, body }) => crossSigning.uploadSignatures(requesterUser(requester).userId, body),
  }),
];

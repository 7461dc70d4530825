// POST /_matrix/media/v3/upload, POST /_matrix/media/v1/create and
// PUT /_matrix/media/v3/upload/{serverName}/{mediaId}: the body is the file, streamed to disk.
import { endpoint, type EndpointRequest } from "../../http/endpoint.ts";
import type { IncomingUpload, MediaRepository } from "../../media/repository.ts";
import { requesterUser } from "../client/requester-user.ts";

const SPEC = "https://spec.matrix.org/v1.19/client-server-api/#";
// Synapse answers on r0, v3 and v1 alike.
const versions = (path: string) => ["v3", "r0", "v1"].map((version) => `/_matrix/media/${version}${path}`);

const incoming = ({ request, searchParams }: EndpointRequest<undefined, Record<string, string>>): IncomingUpload => ({
  body: request.body,
  contentType: request.headers.get("content-type"),
  contentLength: request.headers.get("content-length"),
  fileName: searchParams.get("filename"),
});

export const uploadEndpoints = (media: MediaRepository) => [
  endpoint({
    method: "POST",
    paths: versions("/upload"),
    auth: "accessToken",
    spec: `${SPEC}post_matrixmediav3upload`,
    handler: (request) => media.upload(requesterUser(request.requester).userId, incoming(request)),
  }),
  endpoint({
    method: "POST",
    paths: ["/_matrix/media/v1/create"],
    auth: "accessToken",
    spec: `${SPEC}post_matrixmediav1create`,
    handler: ({ requester }) => media.create(requesterUser(requester).userId),
  }),
  endpoint({
    method: "PUT",
    paths: versions("/upload/:serverName/:mediaId"),
    auth: "accessToken",
    spec: `${SPEC}put_matrixmediav3uploadservernamemediaid`,
    handler: (request) => media.uploadTo(requesterUser(request.requester).userId, request.params.serverName!, request.params.mediaId!, incoming(request)),
  }),
];

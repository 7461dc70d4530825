// GET /_matrix/federation/v1/media/download/{mediaId} and /media/thumbnail/{mediaId}: other
// servers fetching our media for their users (multipart/mixed answers).
// https://spec.matrix.org/v1.19/server-server-api/#content-repository
import type { FederationMedia } from "../../media/federation-serve.ts";
import { endpoint } from "../../http/endpoint.ts";
import { parseThumbnailQuery, parseTimeout } from "../media/params.ts";

const SPEC = "https://spec.matrix.org/v1.19/server-server-api/";

export const federationMediaEndpoints = (media: FederationMedia) => [
  endpoint({
    method: "GET",
    paths: ["/_matrix/federation/v1/media/download/:mediaId"],
    auth: "server",
    spec: `${SPEC}#get_matrixfederationv1mediadownloadmediaid`,
    handler: ({ params, searchParams }) => media.download(params.mediaId!, parseTimeout(searchParams)),
  }),
  endpoint({
    method: "GET",
    paths: ["/_matrix/federation/v1/media/thumbnail/:mediaId"],
    auth: "server",
    spec: `${SPEC}#get_matrixfederationv1mediathumbnailmediaid`,
    handler: ({ params, searchParams }) => media.thumbnail(params.mediaId!, parseThumbnailQuery(searchParams), parseTimeout(searchParams)),
  }),
];

// Serving media: GET /_matrix/client/v1/media/download/{serverName}/{mediaId}[/{fileName}],
// GET /_matrix/client/v1/media/thumbnail/{serverName}/{mediaId}, GET /_matrix/client/v1/media/config,
// and their deprecated unauthenticated forms under /_matrix/media/{r0,v3,v1}/.
// https://spec.matrix.org/v1.19/client-server-api/#content-repository
import { endpoint, type Endpoint } from "../../http/endpoint.ts";
import { fileResponse, mediaHeaders } from "../../media/headers.ts";
import type { MediaServices } from "../../media/index.ts";
import { parseThumbnailQuery, parseTimeout } from "./params.ts";

const SPEC = "https://spec.matrix.org/v1.19/client-server-api/#";
const AUTHENTICATED = "/_matrix/client/v1/media";
const legacy = (path: string) => ["v3", "r0", "v1"].map((version) => `/_matrix/media/${version}${path}`);

function servingEndpoints(media: MediaServices, isLegacy: boolean): Endpoint[] {
  const paths = (path: string) => (isLegacy ? legacy(path) : [`${AUTHENTICATED}${path}`]);
  const auth = isLegacy ? ("none" as const) : ("accessToken" as const);
  const spec = (anchor: string) => `${SPEC}${isLegacy ? anchor.replace("clientv1media", "mediav3") : anchor}`;
  return [
    endpoint({
      method: "GET",
      paths: [...paths("/download/:serverName/:mediaId"), ...paths("/download/:serverName/:mediaId/:fileName")],
      auth,
      allowGuests: true,
      spec: spec("get_matrixclientv1mediadownloadservernamemediaid"),
      handler: async ({ params, searchParams }) => {
        const found = await media.repository.find(params.serverName!, params.mediaId!, { timeoutMs: parseTimeout(searchParams), legacy: isLegacy });
        // The path's file name, when given, is the one the client wants to save under.
        const headers = mediaHeaders(found.contentType, params.fileName ?? found.uploadName, found.size);
        return fileResponse(found.path, headers);
      },
    }),
    endpoint({
      method: "GET",
      paths: paths("/thumbnail/:serverName/:mediaId"),
      auth,
      allowGuests: true,
      spec: spec("get_matrixclientv1mediathumbnailservernamemediaid"),
      handler: async ({ params, searchParams }) => {
        const wanted = parseThumbnailQuery(searchParams);
        const thumbnail = await media.thumbnailOf(params.serverName!, params.mediaId!, wanted, { timeoutMs: parseTimeout(searchParams), legacy: isLegacy });
        const name = `thumbnail.${thumbnail.contentType.includes("png") ? "png" : "jpg"}`;
        return fileResponse(thumbnail.path, mediaHeaders(thumbnail.contentType, name, thumbnail.size));
      },
    }),
    endpoint({
      method: "GET",
      // The legacy config endpoint required a token too.
      paths: paths("/config"),
      auth: "accessToken",
      allowGuests: true,
      spec: spec("get_matrixclientv1mediaconfig"),
      handler: () => media.repository.config(),
    }),
  ];
}

export const downloadEndpoints = (media: MediaServices): Endpoint[] => [...servingEndpoints(media, false), ...servingEndpoints(media, true)];

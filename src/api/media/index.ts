// The content repository's endpoints (no preview_url: Myelin does not fetch URLs).
// https://spec.matrix.org/v1.19/client-server-api/#content-repository
import type { Endpoint } from "../../http/endpoint.ts";
import type { MediaServices } from "../../media/index.ts";
import { downloadEndpoints } from "./download.ts";
import { uploadEndpoints } from "./upload.ts";

export const mediaEndpoints = (media: MediaServices): Endpoint[] => [...uploadEndpoints(media.repository), ...downloadEndpoints(media)];

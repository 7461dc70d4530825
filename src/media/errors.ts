// The media repository's refusals with the spec's status and errcode.
// https://spec.matrix.org/v1.19/client-server-api/#content-repository
import { MatrixError } from "../protocol/matrix-error.ts";

export const tooLarge = (message: string) => new MatrixError(413, "M_TOO_LARGE", message);
export const mediaNotFound = () => new MatrixError(404, "M_NOT_FOUND", "Media not found");
export const cannotOverwrite = () => new MatrixError(409, "M_CANNOT_OVERWRITE_MEDIA", "Media already uploaded");
export const notYetUploaded = () => new MatrixError(504, "M_NOT_YET_UPLOADED", "Content has not yet been uploaded");
export const invalidParam = (message: string) => new MatrixError(400, "M_INVALID_PARAM", message);
export const missingParam = (message: string) => new MatrixError(400, "M_MISSING_PARAM", message);
/** The spec's 400 for content the server cannot thumbnail. */
export const cannotThumbnail = (message = "Cannot generate thumbnails for the requested content") => new MatrixError(400, "M_UNKNOWN", message);

// The one error type: thrown anywhere (domain code included), rendered once by src/http/router.ts
// as {errcode, error, ...extra}.
// https://spec.matrix.org/v1.19/client-server-api/#standard-error-response
import type { Errcode } from "./errcodes.ts";

export class MatrixError extends Error {
  override name = "MatrixError";
  constructor(
    readonly status: number,
    readonly errcode: Errcode,
    message: string,
    /** Extra keys some errcodes define (soft_logout, retry_after_ms, room_version, ...). */
    readonly extra: Record<string, unknown> = {},
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
  }

  toJSON(): Record<string, unknown> {
    return { ...this.extra, errcode: this.errcode, error: this.message };
  }
}

export const badJson = (message: string) => new MatrixError(400, "M_BAD_JSON", message);
export const notFound = (message = "Not found") => new MatrixError(404, "M_NOT_FOUND", message);
export const forbidden = (message: string) => new MatrixError(403, "M_FORBIDDEN", message);

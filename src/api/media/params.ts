// Query parameters of the media serving endpoints, refused with the spec's errcodes.
import { invalidParam, missingParam } from "../../media/errors.ts";
import type { ThumbnailSize } from "../../media/thumbnail-sizes.ts";

/** The spec's default wait for an async upload. */
const DEFAULT_TIMEOUT_MS = 20_000;
/** Limit: largest width or height a thumbnail request may name (larger is no thumbnail). */
const MAX_DIMENSION = 10_000;

function integer(searchParams: URLSearchParams, name: string, minimum: number, maximum: number): number | undefined {
  const text = searchParams.get(name);
  if (text === null) return undefined;
  if (!/^\d{1,15}$/.test(text)) throw invalidParam(`${name} must be a non-negative integer`);
  const value = Number(text);
  if (value < minimum || value > maximum) throw invalidParam(`${name} must be between ${minimum} and ${maximum}`);
  return value;
}

/** timeout_ms (default 20 s); the repository caps it. */
export const parseTimeout = (searchParams: URLSearchParams): number => integer(searchParams, "timeout_ms", 0, Number.MAX_SAFE_INTEGER) ?? DEFAULT_TIMEOUT_MS;

/** width, height (required), method (crop or scale, default scale as Synapse) and animated (a boolean, accepted). */
export function parseThumbnailQuery(searchParams: URLSearchParams): ThumbnailSize {
  const width = integer(searchParams, "width", 1, MAX_DIMENSION);
  const height = integer(searchParams, "height", 1, MAX_DIMENSION);
  if (width === undefined || height === undefined) throw missingParam("width and height are required");
  const method = searchParams.get("method") ?? "scale";
  if (method !== "crop" && method !== "scale") throw invalidParam("method must be crop or scale");
  // No animated thumbnails are made; `animated` only has to be well-formed (the spec: behave as false).
  const animated = searchParams.get("animated");
  if (animated !== null && animated !== "true" && animated !== "false") throw invalidParam("animated must be true or false");
  return { width, height, method };
}

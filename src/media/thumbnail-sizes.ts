// Which thumbnail answers a request, and what to cut from the image for it: Synapse's rules
// (media/thumbnailer.py, media_repository.py) with the spec's "never upscale" added.
// https://spec.matrix.org/v1.19/client-server-api/#thumbnails
import type { Region } from "./image.ts";

export type ThumbnailMethod = "crop" | "scale";

export interface ThumbnailSize {
  width: number;
  height: number;
  method: ThumbnailMethod;
}

/** The largest size with the image's aspect that fits in max x max (Synapse's Thumbnailer.aspect). */
function aspect(image: { width: number; height: number }, maxWidth: number, maxHeight: number): [number, number] {
  if (maxWidth * image.height < maxHeight * image.width) return [maxWidth, Math.max(Math.floor((maxWidth * image.height) / image.width), 1)];
  return [Math.max(Math.floor((maxHeight * image.width) / image.height), 1), maxHeight];
}

/** A size as made for this image: scale sizes keep the image's aspect and never exceed it. */
function fitted(image: { width: number; height: number }, size: ThumbnailSize): ThumbnailSize {
  if (size.method === "crop") return size;
  const [width, height] = aspect(image, size.width, size.height);
  return { width: Math.min(width, image.width), height: Math.min(height, image.height), method: "scale" };
}

/**
 * The configured sizes as Synapse would pre-generate them for this image: scale sizes fitted to
 * its aspect, and a crop size dropped when a scale size already has its dimensions.
 */
export function candidateSizes(image: { width: number; height: number }, configured: readonly ThumbnailSize[]): ThumbnailSize[] {
  const byDimensions = new Map<string, ThumbnailSize>();
  for (const size of configured) {
    const made = fitted(image, size);
    const key = `${made.width}x${made.height}`;
    if (made.method === "crop") {
      if (!byDimensions.has(key)) byDimensions.set(key, made);
    } else {
      byDimensions.set(key, made);
    }
  }
  return [...byDimensions.values()];
}

/** Compares quality tuples lexicographically (Python's tuple order, as Synapse's min()). */
function lexicographic(a: number[], b: number[]): number {
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return a[i]! - b[i]!;
  return 0;
}

/**
 * Synapse's _select_thumbnail: among candidates of the wanted method, prefer those at least as
 * large as asked in one dimension; crop ranks by closeness of aspect, then whether both
 * dimensions suffice, then closeness of area; scale by closeness of area. Ties go to the earlier.
 */
export function selectSize(wanted: ThumbnailSize, candidates: readonly ThumbnailSize[]): ThumbnailSize | null {
  const { width: dw, height: dh } = wanted;
  const large: { quality: number[]; size: ThumbnailSize }[] = [];
  const small: { quality: number[]; size: ThumbnailSize }[] = [];
  for (const size of candidates) {
    if (size.method !== wanted.method) continue;
    const { width: tw, height: th } = size;
    const sizeQuality = Math.abs((dw - tw) * (dh - th));
    const quality = wanted.method === "crop" ? [Math.abs(dw * th - dh * tw), dw <= tw && dh <= th ? 0 : 1, sizeQuality] : [sizeQuality];
    (tw >= dw || th >= dh ? large : small).push({ quality, size });
  }
  const pool = large.length > 0 ? large : small;
  if (pool.length === 0) return null;
  return pool.reduce((best, next) => (lexicographic(next.quality, best.quality) < 0 ? next : best)).size;
}

/** What to serve for a size: the original (it is no larger), or a region of it drawn at width x height. */
export type ThumbnailPlan = { original: true } | { original: false; region: Region; width: number; height: number };

/**
 * How a chosen size is cut from the image. Scale: the whole image at the fitted size. Crop: the
 * centre region with the size's aspect, scaled down to it; when that would upscale (the image
 * is smaller than the size in one dimension) the region is served at its own size instead.
 * An image no larger than the size in both dimensions is served as it is (the spec).
 */
export function planThumbnail(image: { width: number; height: number }, size: ThumbnailSize): ThumbnailPlan {
  const { width: w, height: h } = image;
  if (size.method === "scale") {
    const made = fitted(image, size);
    if (made.width >= w && made.height >= h) return { original: true };
    return { original: false, region: { x: 0, y: 0, width: w, height: h }, width: made.width, height: made.height };
  }
  if (size.width >= w && size.height >= h) return { original: true };
  const factor = Math.max(size.width / w, size.height / h);
  if (factor <= 1) {
    const rw = size.width / factor;
    const rh = size.height / factor;
    return { original: false, region: { x: (w - rw) / 2, y: (h - rh) / 2, width: rw, height: rh }, width: size.width, height: size.height };
  }
  // No upscaling: the largest centre region with the requested aspect, at 1:1.
  const wider = size.width * h > size.height * w;
  const cw = wider ? w : Math.max(Math.round((h * size.width) / size.height), 1);
  const ch = wider ? Math.max(Math.round((w * size.height) / size.width), 1) : h;
  return { original: false, region: { x: Math.floor((w - cw) / 2), y: Math.floor((h - ch) / 2), width: cw, height: ch }, width: cw, height: ch };
}

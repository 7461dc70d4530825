// Pure-JavaScript image work for thumbnails (the server ships as one compiled file: no native
// addons): reading dimensions from headers before any decoding, decoding and encoding JPEG
// (jpeg-js) and PNG (pngjs), and area-averaging resampling.
import jpeg from "jpeg-js";
import { PNG } from "pngjs";

export type ImageType = "image/jpeg" | "image/png";

/** Decoded pixels, 8-bit RGBA. */
export interface Bitmap {
  width: number;
  height: number;
  data: Uint8Array;
}

export class ImageError extends Error {
  override name = "ImageError";
}

const PNG_SIGNATURE = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];

/** Width and height from the file's header (PNG IHDR, JPEG SOFn), or null when there is none. */
export function imageDimensions(type: ImageType, bytes: Uint8Array): { width: number; height: number } | null {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (type === "image/png") {
    if (bytes.length < 24 || !PNG_SIGNATURE.every((b, i) => bytes[i] === b)) return null;
    if (String.fromCharCode(...bytes.subarray(12, 16)) !== "IHDR") return null;
    const width = view.getUint32(16);
    const height = view.getUint32(20);
    return width > 0 && height > 0 ? { width, height } : null;
  }
  if (bytes[0] !== 0xff || bytes[1] !== 0xd8) return null;
  let at = 2;
  while (at + 4 <= bytes.length) {
    if (bytes[at] !== 0xff) return null;
    const marker = bytes[at + 1]!;
    if (marker === 0xff) {
      at += 1; // fill byte
      continue;
    }
    // Markers without a length: TEM, RSTn.
    if (marker === 0x01 || (marker >= 0xd0 && marker <= 0xd7)) {
      at += 2;
      continue;
    }
    const length = view.getUint16(at + 2);
    const isFrame = marker >= 0xc0 && marker <= 0xcf && marker !== 0xc4 && marker !== 0xc8 && marker !== 0xcc;
    if (isFrame) {
      if (at + 9 > bytes.length) return null;
      const height = view.getUint16(at + 5);
      const width = view.getUint16(at + 7);
      return width > 0 && height > 0 ? { width, height } : null;
    }
    if (marker === 0xd9 || marker === 0xda || length < 2) return null;
    at += 2 + length;
  }
  return null;
}

/** Decodes an image; throws ImageError for corrupt data. `maxPixels` is a backstop to the header check. */
export function decodeImage(type: ImageType, bytes: Uint8Array, maxPixels: number): Bitmap {
  try {
    if (type === "image/jpeg") {
      const image = jpeg.decode(bytes, { useTArray: true, formatAsRGBA: true, maxResolutionInMP: Math.max(maxPixels / 1e6, 1), maxMemoryUsageInMB: 1024 });
      return { width: image.width, height: image.height, data: image.data };
    }
    const png = PNG.sync.read(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength));
    return { width: png.width, height: png.height, data: png.data };
  } catch (cause) {
    throw new ImageError(`cannot decode ${type}: ${(cause as Error).message ?? cause}`);
  }
}

/** Limit: quality of JPEG thumbnails (Synapse's Pillow default is 75; 80 looks cleaner for small sizes). */
const JPEG_QUALITY = 80;

export function encodeImage(type: ImageType, bitmap: Bitmap): Uint8Array {
  if (type === "image/jpeg") return jpeg.encode({ width: bitmap.width, height: bitmap.height, data: bitmap.data }, JPEG_QUALITY).data;
  const png = new PNG({ width: bitmap.width, height: bitmap.height });
  png.data = Buffer.from(bitmap.data.buffer, bitmap.data.byteOffset, bitmap.data.byteLength);
  return PNG.sync.write(png);
}

/** A region of the source, in source pixels (fractions allowed). */
export interface Region {
  x: number;
  y: number;
  width: number;
  height: number;
}

/** For each output index, the source indices it covers and their share of it. */
function spans(start: number, length: number, outLength: number, limit: number): { index: number; weight: number }[][] {
  const step = length / outLength;
  const result: { index: number; weight: number }[][] = [];
  for (let d = 0; d < outLength; d++) {
    const a = start + d * step;
    const b = Math.max(a + step, a + 1e-9);
    const list: { index: number; weight: number }[] = [];
    for (let i = Math.floor(a); i < Math.ceil(b); i++) {
      const weight = Math.min(b, i + 1) - Math.max(a, i);
      if (weight > 0) list.push({ index: Math.min(Math.max(i, 0), limit - 1), weight: weight / (b - a) });
    }
    result.push(list);
  }
  return result;
}

/**
 * Area-averaging resample of `region` of `source` to width x height: each output pixel is the
 * mean of the source area it covers, with alpha premultiplied so transparent pixels do not
 * darken edges. One source row at a time, so memory is the output plus one row.
 */
export function resample(source: Bitmap, region: Region, width: number, height: number): Bitmap {
  const columns = spans(region.x, region.width, width, source.width);
  const rows = spans(region.y, region.height, height, source.height);
  // Inverse of `rows`: which output rows each source row adds to.
  const contributions = new Map<number, { out: number; weight: number }[]>();
  rows.forEach((list, out) => {
    for (const { index, weight } of list) {
      let entry = contributions.get(index);
      if (!entry) contributions.set(index, (entry = []));
      entry.push({ out, weight });
    }
  });
  const accumulated = new Float64Array(width * height * 4);
  const row = new Float64Array(width * 4);
  const src = source.data;
  for (const [y, targets] of contributions) {
    row.fill(0);
    const base = y * source.width * 4;
    for (let x = 0; x < width; x++) {
      let r = 0, g = 0, b = 0, a = 0;
      for (const { index, weight } of columns[x]!) {
        const p = base + index * 4;
        const alpha = src[p + 3]! * weight;
        r += src[p]! * alpha;
        g += src[p + 1]! * alpha;
        b += src[p + 2]! * alpha;
        a += alpha;
      }
      row[x * 4] = r;
      row[x * 4 + 1] = g;
      row[x * 4 + 2] = b;
      row[x * 4 + 3] = a;
    }
    for (const { out, weight } of targets) {
      const o = out * width * 4;
      for (let i = 0; i < width * 4; i++) accumulated[o + i]! += row[i]! * weight;
    }
  }
  const data = new Uint8Array(width * height * 4);
  for (let p = 0; p < width * height * 4; p += 4) {
    const a = accumulated[p + 3]!;
    if (a > 0) {
      data[p] = Math.round(accumulated[p]! / a);
      data[p + 1] = Math.round(accumulated[p + 1]! / a);
      data[p + 2] = Math.round(accumulated[p + 2]! / a);
      data[p + 3] = Math.round(a);
    }
  }
  return { width, height, data };
}

// Image decoding helpers (pure): header dimensions, resampling, encode/decode round trips.
import { describe, expect, test } from "bun:test";
import jpeg from "jpeg-js";
import { PNG } from "pngjs";
import { decodeImage, encodeImage, imageDimensions, ImageError, resample } from "../../src/media/image.ts";

const solid = (width: number, height: number, rgba: number[]) => ({ width, height, data: Uint8Array.from({ length: width * height * 4 }, (_, i) => rgba[i % 4]!) });

describe("imageDimensions", () => {
  test("reads PNG IHDR and JPEG SOF without decoding", () => {
    expect(imageDimensions("image/png", encodeImage("image/png", solid(7, 3, [1, 2, 3, 255])))).toEqual({ width: 7, height: 3 });
    expect(imageDimensions("image/jpeg", encodeImage("image/jpeg", solid(9, 5, [1, 2, 3, 255])))).toEqual({ width: 9, height: 5 });
  });
  test("null for data that is not of the type", () => {
    expect(imageDimensions("image/png", new Uint8Array([1, 2, 3]))).toBeNull();
    expect(imageDimensions("image/jpeg", encodeImage("image/png", solid(2, 2, [0, 0, 0, 255])))).toBeNull();
    expect(imageDimensions("image/jpeg", new Uint8Array([0xff, 0xd8, 0xff, 0xe0, 0x00]))).toBeNull();
  });
});

describe("resample", () => {
  test("averages the area each output pixel covers", () => {
    const source = { width: 2, height: 1, data: Uint8Array.from([0, 0, 0, 255, 200, 100, 50, 255]) };
    expect([...resample(source, { x: 0, y: 0, width: 2, height: 1 }, 1, 1).data]).toEqual([100, 50, 25, 255]);
  });
  test("transparent pixels do not darken their neighbours (premultiplied alpha)", () => {
    const source = { width: 2, height: 1, data: Uint8Array.from([0, 0, 0, 0, 200, 100, 50, 255]) };
    expect([...resample(source, { x: 0, y: 0, width: 2, height: 1 }, 1, 1).data]).toEqual([200, 100, 50, 128]);
  });
  test("a uniform image stays uniform at any size and region", () => {
    const out = resample(solid(37, 23, [10, 20, 30, 255]), { x: 3.5, y: 1.25, width: 30, height: 20 }, 11, 7);
    expect(out.width * out.height).toBe(77);
    expect(new Set(out.data).size).toBeLessThanOrEqual(4);
    expect([...out.data.subarray(0, 4)]).toEqual([10, 20, 30, 255]);
  });
});

describe("decode and encode", () => {
  test("PNG round trip is lossless; JPEG decodes to the right size", () => {
    const bitmap = solid(5, 4, [9, 8, 7, 100]);
    expect(decodeImage("image/png", encodeImage("image/png", bitmap), 1e6)).toEqual({ ...bitmap, data: Buffer.from(bitmap.data) } as never);
    const decoded = decodeImage("image/jpeg", jpeg.encode({ width: 6, height: 3, data: Buffer.from(solid(6, 3, [0, 0, 0, 255]).data) }).data, 1e6);
    expect([decoded.width, decoded.height]).toEqual([6, 3]);
  });
  test("corrupt data is an ImageError", () => {
    const png = new PNG({ width: 4, height: 4 });
    const bytes = PNG.sync.write(png);
    expect(() => decodeImage("image/png", bytes.subarray(0, 40), 1e6)).toThrow(ImageError);
    expect(() => decodeImage("image/jpeg", new Uint8Array([0xff, 0xd8, 1, 2, 3]), 1e6)).toThrow(ImageError);
  });
});

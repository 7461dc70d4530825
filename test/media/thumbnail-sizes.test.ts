// Choosing and planning thumbnails (pure): Synapse's selection rules and the spec's no-upscale rule.
import { describe, expect, test } from "bun:test";
import { candidateSizes, planThumbnail, selectSize, type ThumbnailSize } from "../../src/media/thumbnail-sizes.ts";

const DEFAULTS: ThumbnailSize[] = [
  { width: 32, height: 32, method: "crop" }, { width: 96, height: 96, method: "crop" }, { width: 320, height: 240, method: "scale" },
  { width: 640, height: 480, method: "scale" }, { width: 800, height: 600, method: "scale" },
];

describe("candidateSizes", () => {
  test("scale sizes are fitted to the image's aspect and never exceed it; duplicates collapse", () => {
    expect(candidateSizes({ width: 400, height: 200 }, DEFAULTS)).toEqual([
      { width: 32, height: 32, method: "crop" }, { width: 96, height: 96, method: "crop" },
      { width: 320, height: 160, method: "scale" }, { width: 400, height: 200, method: "scale" },
    ]);
    expect(candidateSizes({ width: 4000, height: 3000 }, DEFAULTS).filter((s) => s.method === "scale")).toEqual([
      { width: 320, height: 240, method: "scale" }, { width: 640, height: 480, method: "scale" }, { width: 800, height: 600, method: "scale" },
    ]);
  });
  test("a crop size with the dimensions of a scale size gives way to it", () => {
    const sizes = candidateSizes({ width: 32, height: 32 }, [{ width: 32, height: 32, method: "crop" }, { width: 64, height: 64, method: "scale" }]);
    expect(sizes).toEqual([{ width: 32, height: 32, method: "scale" }]);
  });
});

describe("selectSize", () => {
  const big = candidateSizes({ width: 4000, height: 3000 }, DEFAULTS);
  test.each([
    [{ width: 10, height: 10, method: "crop" }, { width: 32, height: 32 }],
    [{ width: 40, height: 40, method: "crop" }, { width: 96, height: 96 }],
    [{ width: 500, height: 500, method: "crop" }, { width: 96, height: 96 }],
    [{ width: 100, height: 100, method: "scale" }, { width: 320, height: 240 }],
    [{ width: 600, height: 400, method: "scale" }, { width: 640, height: 480 }],
    [{ width: 2000, height: 2000, method: "scale" }, { width: 800, height: 600 }],
  ] as const)("%o -> %o", (wanted, expected) => {
    expect(selectSize(wanted, big)).toEqual({ ...expected, method: wanted.method });
  });
  test("no candidate of the method: null", () => {
    expect(selectSize({ width: 10, height: 10, method: "crop" }, [{ width: 320, height: 240, method: "scale" }])).toBeNull();
  });
});

describe("planThumbnail", () => {
  test("scale: whole image at the fitted size, or the original when it is no larger", () => {
    expect(planThumbnail({ width: 400, height: 200 }, { width: 320, height: 160, method: "scale" })).toEqual({
      original: false, region: { x: 0, y: 0, width: 400, height: 200 }, width: 320, height: 160,
    });
    expect(planThumbnail({ width: 400, height: 200 }, { width: 800, height: 600, method: "scale" })).toEqual({ original: true });
  });
  test("crop: the centre region with the size's aspect", () => {
    expect(planThumbnail({ width: 400, height: 200 }, { width: 32, height: 32, method: "crop" })).toEqual({
      original: false, region: { x: 100, y: 0, width: 200, height: 200 }, width: 32, height: 32,
    });
  });
  test("crop never upscales: an image narrower than asked gives a 1:1 centre region", () => {
    expect(planThumbnail({ width: 20, height: 100 }, { width: 32, height: 32, method: "crop" })).toEqual({
      original: false, region: { x: 0, y: 40, width: 20, height: 20 }, width: 20, height: 20,
    });
    expect(planThumbnail({ width: 20, height: 20 }, { width: 32, height: 32, method: "crop" })).toEqual({ original: true });
  });
});

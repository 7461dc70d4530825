// Serving headers (pure): Content-Type sanitising, inline or attachment, file name encoding.
import { describe, expect, test } from "bun:test";
import { mediaHeaders, sanitiseContentType, sanitiseFileName } from "../../src/media/headers.ts";
import { isMediaId, newMediaId } from "../../src/media/store.ts";

describe("sanitiseContentType", () => {
  test.each([
    [null, "application/octet-stream"],
    ["", "application/octet-stream"],
    ["Image/PNG", "image/png"],
    ["text/plain; charset=UTF-8", "text/plain; charset=UTF-8"],
    ["text/plain; bad param", "text/plain"],
    ["text", "application/octet-stream"],
    ["text/plain\u0000", "application/octet-stream"],
    ["a/b/c", "application/octet-stream"],
    [`image/${"x".repeat(300)}`, "application/octet-stream"],
  ])("%p -> %p", (input, expected) => expect(sanitiseContentType(input)).toBe(expected));
});

describe("mediaHeaders", () => {
  test("inline only for the spec's safe types", () => {
    expect(mediaHeaders("image/png", null, 1)["Content-Disposition"]).toBe("inline");
    expect(mediaHeaders("image/svg+xml", null, 1)["Content-Disposition"]).toBe("attachment");
    expect(mediaHeaders("application/pdf", "a.pdf", 1)["Content-Disposition"]).toBe("attachment; filename=a.pdf");
  });
  test("names that are not a plain token go in filename* percent-encoded; control characters are dropped", () => {
    expect(mediaHeaders("text/plain", "a b\r\n\"c\".txt", 1)["Content-Disposition"]).toBe("inline; filename*=utf-8''a%20b%22c%22.txt");
    expect(mediaHeaders("text/plain", "日本.txt", 1)["Content-Disposition"]).toBe("inline; filename*=utf-8''%E6%97%A5%E6%9C%AC.txt");
    expect(sanitiseFileName("\u0000")).toBeNull();
  });
  test("text gets a charset", () => {
    expect(mediaHeaders("text/csv", null, 1)["Content-Type"]).toBe("text/csv; charset=utf-8");
  });
});

test("media ids are 24 characters of [A-Za-z0-9] and unique", () => {
  const ids = new Set(Array.from({ length: 1000 }, newMediaId));
  expect(ids.size).toBe(1000);
  for (const id of ids) expect(isMediaId(id)).toBe(true);
  expect(isMediaId("../../etc/passwd")).toBe(false);
});

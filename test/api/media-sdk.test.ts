// matrix-js-sdk's uploadContent against a real listening `myelin serve` (Bun.serve's body cap
// lets uploads up to max_upload_size through), then the bytes back over authenticated download.
import { expect, test } from "bun:test";
import { sdkServer } from "../helpers/sdk-server.ts";

const server = sdkServer("media.test");

test("uploadContent gives an mxc URI whose bytes download unchanged over real HTTP", async () => {
  const client = await server.client("uploader");
  // Larger than max_request_body_size's 4M default, within max_upload_size's 50M.
  const bytes = new Uint8Array(5 * 1024 * 1024).map((_, i) => (i * 31) & 0xff);
  const { content_uri } = await client.uploadContent(new Blob([bytes], { type: "application/pdf" }), { name: "big report.pdf", type: "application/pdf" });
  expect(content_uri).toMatch(/^mxc:\/\/media\.test\/[A-Za-z0-9]{24}$/);

  const url = client.mxcUrlToHttp(content_uri, undefined, undefined, undefined, false, true, true);
  expect(url).toContain("/_matrix/client/v1/media/download/");
  const res = await fetch(url!, { headers: { Authorization: `Bearer ${client.getAccessToken()}` } });
  expect(res.status).toBe(200);
  expect(res.headers.get("content-type")).toBe("application/pdf");
  expect(res.headers.get("content-disposition")).toBe("attachment; filename*=utf-8''big%20report.pdf");
  expect(new Uint8Array(await res.arrayBuffer())).toEqual(bytes);
});

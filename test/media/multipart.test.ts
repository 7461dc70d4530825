// The federation media answer's multipart/mixed body, and fetchRemoteMedia facing a remote
// that answers badly: each hostile body is a clean MatrixError, never a crash.
import { describe, expect, test } from "bun:test";
import type { FederationMediaClient } from "../../src/federation/media-client.ts";
import { boundaryOf, mediaMultipartFrame, MultipartError, parseMediaMultipart } from "../../src/protocol/multipart.ts";
import type { FetchedAnswer } from "../../src/federation/resolve.ts";
import { FederationRequestError } from "../../src/federation/transport.ts";
import { fetchRemoteMedia, fileNameOf, MULTIPART_OVERHEAD_BYTES } from "../../src/media/remote-fetch.ts";
import { MatrixError } from "../../src/protocol/matrix-error.ts";

const enc = (text: string) => new TextEncoder().encode(text);
const TYPE = "multipart/mixed; boundary=abc";
const body = (content: string, headers = "Content-Type: text/plain\r\n") =>
  enc(`--abc\r\nContent-Type: application/json\r\n\r\n{}\r\n--abc\r\n${headers}\r\n${content}\r\n--abc--\r\n`);

describe("parseMediaMultipart", () => {
  test("reads the spec's two parts; the content may contain CRLF and dashes", () => {
    const part = parseMediaMultipart(TYPE, body("line\r\n--ab\r\n- -abc no", "Content-Type: text/plain\r\nContent-Disposition: attachment; filename=a.txt\r\n"));
    expect(part.metadata).toEqual({});
    expect(part.headers.get("content-disposition")).toBe("attachment; filename=a.txt");
    expect(new TextDecoder().decode(part.body)).toBe("line\r\n--ab\r\n- -abc no");
  });

  test("what mediaMultipartFrame writes, parseMediaMultipart reads back", () => {
    const frame = mediaMultipartFrame("xyz", { "Content-Type": "image/png" });
    const bytes = Buffer.concat([enc(frame.head), Buffer.from([0, 255, 13, 10, 45, 45]), enc(frame.tail)]);
    const part = parseMediaMultipart("multipart/mixed; boundary=\"xyz\"", bytes);
    expect([...part.body]).toEqual([0, 255, 13, 10, 45, 45]);
    expect(part.headers.get("content-type")).toBe("image/png");
  });

  test("a preamble before the first delimiter and padding after one are allowed", () => {
    const bytes = enc(`preamble\r\n--abc  \r\n\r\n{"a":1}\r\n--abc\r\nLocation: https://x/y\r\n\r\n\r\n--abc--`);
    const part = parseMediaMultipart(TYPE, bytes);
    expect(part.metadata).toEqual({ a: 1 });
    expect(part.headers.get("location")).toBe("https://x/y");
  });

  const hostile: [string, string | null, Uint8Array][] = [
    ["not multipart", "application/json", body("x")],
    ["no boundary", "multipart/mixed", body("x")],
    ["a boundary too long", `multipart/mixed; boundary=${"a".repeat(71)}`, body("x")],
    ["another boundary", "multipart/mixed; boundary=zzz", body("x")],
    ["no close delimiter", TYPE, enc("--abc\r\n\r\n{}\r\n--abc\r\n\r\ncontent")],
    ["one part", TYPE, enc("--abc\r\n\r\n{}\r\n--abc--")],
    ["three parts", TYPE, enc("--abc\r\n\r\n{}\r\n--abc\r\n\r\nx\r\n--abc\r\n\r\ny\r\n--abc--")],
    ["metadata not JSON", TYPE, enc("--abc\r\n\r\n{nope\r\n--abc\r\n\r\nx\r\n--abc--")],
    ["metadata an array", TYPE, enc("--abc\r\n\r\n[]\r\n--abc\r\n\r\nx\r\n--abc--")],
    ["headers that never end", TYPE, enc(`--abc\r\n\r\n{}\r\n--abc\r\nX: ${"y".repeat(20_000)}\r\n--abc--`)],
    ["a header line without a colon", TYPE, enc("--abc\r\n\r\n{}\r\n--abc\r\nbroken\r\n\r\nx\r\n--abc--")],
    ["garbage after a delimiter", TYPE, enc("--abcjunk\r\n\r\n{}\r\n--abc\r\n\r\nx\r\n--abc--")],
    ["empty", TYPE, new Uint8Array(0)],
    ["random bytes", TYPE, crypto.getRandomValues(new Uint8Array(4096))],
  ];
  for (const [name, type, bytes] of hostile) {
    test(`refuses ${name}`, () => {
      expect(() => parseMediaMultipart(type, bytes)).toThrow(MultipartError);
    });
  }

  test("boundaryOf reads quoted and plain boundaries", () => {
    expect(boundaryOf('multipart/mixed; boundary="a b"')).toBe("a b");
    expect(boundaryOf("Multipart/Mixed;boundary=q1; charset=x")).toBe("q1");
  });

  test("fileNameOf prefers filename*, decodes it, and survives bad encodings", () => {
    expect(fileNameOf("inline; filename=a.png; filename*=utf-8''%C3%A9.png")).toBe("é.png");
    expect(fileNameOf('attachment; filename="b c.txt"')).toBe("b c.txt");
    expect(fileNameOf("attachment; filename*=utf-8''%E0%A4%A")).toBeNull();
    expect(fileNameOf(null)).toBeNull();
  });
});

/** A remote whose answers are given by the test (the fake server). */
function fakeRemote(answer: () => FetchedAnswer | Promise<FetchedAnswer>, redirect?: () => FetchedAnswer): FederationMediaClient & { calls: number } {
  const fake = {
    calls: 0,
    async signedGet() {
      fake.calls += 1;
      return answer();
    },
    async getUrl() {
      if (!redirect) throw new FederationRequestError("x", "no");
      return redirect();
    },
  };
  return fake;
}
const answer = (status: number, contentType: string, bytes: Uint8Array | null): FetchedAnswer => ({ status, headers: new Headers({ "content-type": contentType }), body: bytes });
const fetchWith = (client: FederationMediaClient, maxBytes = 1000) =>
  fetchRemoteMedia(client, "remote.example", "/_matrix/federation/v1/media/download/m", { query: {}, maxBytes, timeoutMs: 1000, thumbnail: false });
async function refusal(promise: Promise<unknown>) {
  const error = await promise.then(() => null, (e: unknown) => e);
  expect(error).toBeInstanceOf(MatrixError);
  return [(error as MatrixError).status, (error as MatrixError).errcode];
}

describe("fetchRemoteMedia", () => {
  test("takes the content, its sanitised type and file name", async () => {
    const fetched = await fetchWith(fakeRemote(() => answer(200, TYPE, body("hello", "Content-Type: text/plain\r\nContent-Disposition: inline; filename=h.txt\r\n"))));
    expect([fetched.contentType, fetched.fileName, new TextDecoder().decode(fetched.body)]).toEqual(["text/plain", "h.txt", "hello"]);
  });

  test("follows a Location once", async () => {
    const remote = fakeRemote(
      () => answer(200, TYPE, body("", "Location: https://cdn.example/file\r\n")),
      () => ({ status: 200, headers: new Headers({ "content-type": "image/png" }), body: enc("PNG") }),
    );
    const fetched = await fetchWith(remote);
    expect([fetched.contentType, new TextDecoder().decode(fetched.body)]).toEqual(["image/png", "PNG"]);
  });

  test("a hostile or broken remote is 502 M_UNKNOWN; too large 502 M_TOO_LARGE; its 404 is 404", async () => {
    for (const [, type, bytes] of hostile()) expect(await refusal(fetchWith(fakeRemote(() => answer(200, type ?? "", bytes))))).toEqual([502, "M_UNKNOWN"]);
    expect(await refusal(fetchWith(fakeRemote(() => answer(200, TYPE, null))))).toEqual([502, "M_TOO_LARGE"]);
    // The body fits the transport's cap (max + framing allowance) but the content is over max_upload_size.
    expect(await refusal(fetchWith(fakeRemote(() => answer(200, TYPE, body("x".repeat(1001)))), 1000))).toEqual([502, "M_TOO_LARGE"]);
    expect(MULTIPART_OVERHEAD_BYTES).toBeGreaterThan(0);
    expect(await refusal(fetchWith(fakeRemote(() => answer(404, "application/json", enc('{"errcode":"M_NOT_FOUND"}')))))).toEqual([404, "M_NOT_FOUND"]);
    expect(await refusal(fetchWith(fakeRemote(() => answer(500, "text/html", enc("<html>")))))).toEqual([502, "M_UNKNOWN"]);
    expect(await refusal(fetchWith(fakeRemote(() => Promise.reject(new FederationRequestError("remote.example", "down")))))).toEqual([502, "M_UNKNOWN"]);
    // A Location that cannot be followed.
    expect(await refusal(fetchWith(fakeRemote(() => answer(200, TYPE, body("", "Location: http://plain/\r\n")))))).toEqual([502, "M_UNKNOWN"]);
  });

  function hostile(): [string, string | null, Uint8Array][] {
    return [
      ["no boundary", "multipart/mixed", body("x")],
      ["three parts", TYPE, enc("--abc\r\n\r\n{}\r\n--abc\r\n\r\nx\r\n--abc\r\n\r\ny\r\n--abc--")],
      ["JSON instead", "application/json", enc("{}")],
      ["random", TYPE, crypto.getRandomValues(new Uint8Array(2048))],
    ];
  }
});

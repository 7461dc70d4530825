// How the media repository reaches other servers' media: signed GETs of their federation media
// endpoints (src/federation/media-client.ts implements it; media may not import federation).
// Any error thrown means no answer came (unreachable, refused by policy, timed out).

/** An HTTP answer as received: the body is null when it was over the size asked for. */
export interface RemoteAnswer {
  status: number;
  headers: Headers;
  body: Uint8Array | null;
}

export interface RemoteGet {
  query?: Record<string, string>;
  /** A larger body is not read: the answer's body is null. */
  maxBytes: number;
  timeoutMs: number;
}

export interface RemoteMediaSource {
  /** A GET of `destination`'s `path`, signed with X-Matrix. */
  signedGet(destination: string, path: string, request: RemoteGet): Promise<RemoteAnswer>;
  /** An unsigned GET of an https URL (a media answer's Location). */
  getUrl(url: string, request: Omit<RemoteGet, "query">): Promise<RemoteAnswer>;
}

// Files of the media repository on disk, in Synapse's layout so an operator recognises it:
// <media_store_path>/local_content/ab/cd/<rest of id>, thumbnails under local_thumbnails/ab/cd/<rest>/.
// Paths are built only from ids this server generated (checked by isMediaId): nothing a
// client sends reaches a path. Files are written to tmp/ and renamed into place, so a reader
// never sees half a file; a crash leaves an orphan in tmp/ or in place, never a row without a file.
import { createHash, randomBytes } from "node:crypto";
import { createWriteStream } from "node:fs";
import { mkdir, rename, rm } from "node:fs/promises";
import { dirname, join } from "node:path";
import { tooLarge } from "./errors.ts";

const ID_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
/** Limit: length of generated media ids (Synapse uses 24 letters); 62^24 is about 143 bits. */
export const MEDIA_ID_LENGTH = 24;

/** A new random media id of [A-Za-z0-9]. */
export function newMediaId(): string {
  let id = "";
  while (id.length < MEDIA_ID_LENGTH) {
    for (const byte of randomBytes(MEDIA_ID_LENGTH)) {
      // 248 = 4 * 62: rejecting the rest keeps every character equally likely.
      if (byte < 248 && id.length < MEDIA_ID_LENGTH) id += ID_ALPHABET[byte % 62];
    }
  }
  return id;
}

/** Whether text has the shape of an id this server generates (and so is safe in a path). */
export const isMediaId = (text: string): boolean => /^[A-Za-z0-9]{24,64}$/.test(text);

/** What a streamed write produced. */
export interface WrittenFile {
  size: number;
  sha256: string;
}

export function createMediaStore(root: string) {
  const sharded = (kind: string, mediaId: string) => {
    if (!isMediaId(mediaId)) throw new Error(`not a media id: ${JSON.stringify(mediaId)}`);
    return join(root, kind, mediaId.slice(0, 2), mediaId.slice(2, 4), mediaId.slice(4));
  };
  const tmpPath = async () => {
    const dir = join(root, "tmp");
    await mkdir(dir, { recursive: true });
    return join(dir, `${Date.now().toString(36)}-${randomBytes(8).toString("hex")}`);
  };
  const moveInto = async (from: string, to: string) => {
    await mkdir(dirname(to), { recursive: true });
    await rename(from, to);
  };

  return {
    contentPath: (mediaId: string) => sharded("local_content", mediaId),
    thumbnailPath: (mediaId: string, name: { width: number; height: number; method: string; contentType: string }) =>
      join(sharded("local_thumbnails", mediaId), `${name.width}-${name.height}-${name.contentType.replace("/", "-")}-${name.method}`),

    /**
     * Streams `body` to a temporary file, counting and hashing; past `limit` bytes the file is
     * removed and 413 M_TOO_LARGE thrown. `place` then moves it into `path` (or `discard` drops it).
     */
    async receive(body: ReadableStream<Uint8Array> | null, limit: number) {
      const path = await tmpPath();
      const hash = createHash("sha256");
      const out = createWriteStream(path, { flags: "wx", mode: 0o600 });
      const closed = new Promise<void>((resolve, reject) => (out.on("close", resolve), out.on("error", reject)));
      let size = 0;
      try {
        if (body) {
          for await (const chunk of body as unknown as AsyncIterable<Uint8Array>) {
            size += chunk.byteLength;
            if (size > limit) throw tooLarge(`Cannot upload files larger than ${limit} bytes`);
            hash.update(chunk);
            // Back-pressure: a slow disk must not make the upload pile up in memory.
            if (!out.write(chunk)) await new Promise((resolve) => out.once("drain", resolve));
          }
        }
        out.end();
        await closed;
      } catch (error) {
        out.destroy();
        await closed.catch(() => {});
        await rm(path, { force: true });
        throw error;
      }
      const file: WrittenFile = { size, sha256: hash.digest("hex") };
      return {
        file,
        place: (target: string) => moveInto(path, target),
        discard: () => rm(path, { force: true }),
      };
    },

    /** Writes bytes (a thumbnail) to `target` through a temporary file. */
    /** Removes a media's file and its thumbnails (admin deletion); missing files are no error. */
    async remove(mediaId: string): Promise<void> {
      await rm(sharded("local_content", mediaId), { force: true });
      await rm(sharded("local_thumbnails", mediaId), { recursive: true, force: true });
    },

    async writeBytes(target: string, bytes: Uint8Array): Promise<void> {
      const path = await tmpPath();
      await Bun.write(path, bytes);
      await moveInto(path, target);
    },
  };
}

export type MediaStore = ReturnType<typeof createMediaStore>;

// Room tags: the m.tag room account data event, {tags: {name: {order?}}}, edited one tag at a time.
// https://spec.matrix.org/v1.19/client-server-api/#room-tagging
import type { AccountData } from "../auth/account-data.ts";
import { badJson, forbidden, MatrixError } from "../protocol/matrix-error.ts";
import type { RoomReader } from "./room-reader.ts";

/** Spec limit: a tag name, in bytes. */
export const MAX_TAG_BYTES = 255;
const TAG_EVENT = "m.tag";

type Tags = Record<string, Record<string, unknown>>;

/** The tags of stored m.tag content; clients may also write it through account data, so tolerate junk. */
function tagsOf(content: Record<string, unknown> | null): Tags {
  const tags = content?.tags;
  if (typeof tags !== "object" || tags === null || Array.isArray(tags)) return {};
  return Object.fromEntries(Object.entries(tags).filter(([, value]) => typeof value === "object" && value !== null && !Array.isArray(value))) as Tags;
}

export function createTags(deps: { accountData: Pick<AccountData, "get" | "putAsServer">; rooms: Pick<RoomReader, "membership"> }) {
  const { accountData } = deps;
  /** Tail of each (user, room)'s chain of edits: read-modify-write must not lose a concurrent edit. */
  const queues = new Map<string, Promise<unknown>>();

  function serialized<T>(key: string, edit: () => Promise<T>): Promise<T> {
    const result = (queues.get(key) ?? Promise.resolve()).then(edit, edit);
    const tail = result.catch(() => {});
    queues.set(key, tail);
    void tail.then(() => queues.get(key) === tail && queues.delete(key));
    return result;
  }

  /** Reads m.tag through the account data service, which refuses other users (403) and bad room ids (400). */
  async function read(requesterId: string, userId: string, roomId: string): Promise<Tags> {
    try {
      return tagsOf(await accountData.get(requesterId, userId, roomId, TAG_EVENT));
    } catch (error) {
      if (error instanceof MatrixError && error.errcode === "M_NOT_FOUND") return {};
      throw error;
    }
  }

  return {
    /** GET /user/{userId}/rooms/{roomId}/tags */
    async get(requesterId: string, userId: string, roomId: string): Promise<{ tags: Tags }> {
      return { tags: await read(requesterId, userId, roomId) };
    },

    /** PUT /user/{userId}/rooms/{roomId}/tags/{tag}: the body is the tag's object, `order` a number in [0, 1]. */
    async put(requesterId: string, userId: string, roomId: string, tag: string, content: Record<string, unknown>): Promise<void> {
      if (requesterId !== userId) throw forbidden("Cannot add tags for other users");
      if (tag === "" || new TextEncoder().encode(tag).length > MAX_TAG_BYTES) {
        throw new MatrixError(400, "M_INVALID_PARAM", `A tag name must be 1 to ${MAX_TAG_BYTES} bytes`);
      }
      if (!roomId.startsWith("!")) throw new MatrixError(400, "M_INVALID_PARAM", `${roomId} is not a valid room ID`);
      const order = content.order;
      if (order !== undefined && (typeof order !== "number" || !(order >= 0 && order <= 1))) throw badJson("order must be a number between 0 and 1");
      // As Synapse: tagging a room one never had a membership in is stored junk.
      if ((await deps.rooms.membership(roomId, userId)) === null) throw forbidden(`${userId} has no membership in room ${roomId}`);
      await serialized(`${userId}\n${roomId}`, async () => {
        const tags = await read(requesterId, userId, roomId);
        await accountData.putAsServer(userId, roomId, TAG_EVENT, { tags: { ...tags, [tag]: content } });
      });
    },

    /** DELETE /user/{userId}/rooms/{roomId}/tags/{tag}: removing an absent tag succeeds and writes nothing. */
    async delete(requesterId: string, userId: string, roomId: string, tag: string): Promise<void> {
      if (requesterId !== userId) throw forbidden("Cannot remove tags of other users");
      await serialized(`${userId}\n${roomId}`, async () => {
        const tags = await read(requesterId, userId, roomId);
        if (!Object.hasOwn(tags, tag)) return;
        delete tags[tag];
        await accountData.putAsServer(userId, roomId, TAG_EVENT, { tags });
      });
    },
  };
}

export type TagsService = ReturnType<typeof createTags>;

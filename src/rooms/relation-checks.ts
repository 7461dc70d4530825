// Checks on the relation (content["m.relates_to"]) of an event a local user sends, run with the
// room locked just before the event is built, so two identical reactions cannot both pass.
// Events without a well-formed relation cost nothing here (malformed relations are ignored:
// https://spec.matrix.org/v1.19/client-server-api/#forming-relationships-between-events).
import { MatrixError } from "../protocol/matrix-error.ts";
import type { JsonObject } from "../protocol/signed-json.ts";
import type { RelationsRepo } from "../storage/repos/relations.ts";
import type { EventCache } from "./stored-event.ts";

/** Limit: length of an annotation key (Synapse's). */
const ANNOTATION_KEY_MAX_LENGTH = 500;

/** A check for the appender (see EventAppender.append), or undefined when the event has no relation. */
export type RelationCheck = (roomId: string, sender: string, type: string, content: JsonObject) => (() => Promise<void>) | undefined;

const invalid = (message: string) => new MatrixError(400, "M_INVALID_PARAM", message);

export function createRelationCheck(deps: { cache: EventCache; repo: Pick<RelationsRepo, "hasAnnotation" | "isRelationTarget"> }): RelationCheck {
  async function check(roomId: string, sender: string, type: string, content: JsonObject, relation: { relType: string; eventId: string; key: unknown }) {
    const found = await deps.cache.one(relation.eventId);
    const target = found && !found.rejectedReason ? found : undefined;
    // Parent and child share a room. A parent unknown here may still be known to the client
    // through other relations to it (as Synapse allows); otherwise the client cannot know it.
    if (target && target.roomId !== roomId) throw invalid("Relations must be in the same room");
    if (!target && !(await deps.repo.isRelationTarget(relation.eventId))) throw invalid("Cannot send a relation to an unknown event");

    switch (relation.relType) {
      // https://spec.matrix.org/v1.19/client-server-api/#validity-of-replacement-events: the spec has
      // servers ignore invalid edits; refusing them at send tells the client (our choice; Synapse accepts them).
      case "m.replace": {
        if (type !== "m.room.encrypted" && (typeof content["m.new_content"] !== "object" || content["m.new_content"] === null || Array.isArray(content["m.new_content"]))) {
          throw invalid("A replacement needs m.new_content");
        }
        if (!target) return;
        if (target.relType === "m.replace") throw invalid("An edit cannot be edited; edit the original event");
        if (target.sender !== sender) throw invalid("Only the sender of an event may edit it");
        if (target.type !== type) throw invalid("An edit must have the type of the original event");
        if (target.stateKey !== null) throw invalid("State events cannot be edited");
        return;
      }
      // https://spec.matrix.org/v1.19/client-server-api/#validation-of-mthread-relationships:
      // 400 with M_UNKNOWN, as the spec's note says (no specific code exists).
      case "m.thread":
        if (target?.relType) throw new MatrixError(400, "M_UNKNOWN", "Cannot start a thread from an event with a relation");
        return;
      // https://spec.matrix.org/v1.19/client-server-api/#avoiding-duplicate-annotations
      case "m.annotation": {
        const key = relation.key;
        if (typeof key !== "string") throw invalid("An annotation needs a key");
        if (key.length > ANNOTATION_KEY_MAX_LENGTH) throw invalid("Annotation key is too long");
        if (await deps.repo.hasAnnotation(relation.eventId, sender, type, key)) {
          throw new MatrixError(400, "M_DUPLICATE_ANNOTATION", "You already sent this annotation");
        }
        return;
      }
    }
  }

  return (roomId, sender, type, content) => {
    const relates = content["m.relates_to"] as JsonObject | undefined;
    if (typeof relates !== "object" || relates === null || typeof relates.rel_type !== "string" || typeof relates.event_id !== "string") return undefined;
    const relation = { relType: relates.rel_type, eventId: relates.event_id, key: relates.key };
    return () => check(roomId, sender, type, content, relation);
  };
}

// Bundled aggregations (unsigned["m.relations"]) for a page of events: m.thread, m.replace and
// m.reference; m.annotation is not aggregated by servers. One round of queries per page (thread
// summaries, latest edits and references in parallel), then one to format what they name.
// https://spec.matrix.org/v1.19/client-server-api/#aggregations-of-child-events
// https://spec.matrix.org/v1.19/client-server-api/#server-side-aggregation-of-mthread-relationships
// https://spec.matrix.org/v1.19/client-server-api/#server-side-aggregation-of-mreplace-relationships
// https://spec.matrix.org/v1.19/client-server-api/#server-side-aggregation-of-mreference
import type { JsonObject } from "../protocol/signed-json.ts";
import type { RelationsRepo } from "../storage/repos/relations.ts";
import type { Aggregations, ClientEvent, ClientEventFormatter, Viewer } from "./client-events.ts";
import type { StoredEvent } from "./stored-event.ts";

/**
 * Events that get no bundle: state events (the spec's warning), redacted ones (the formatter
 * drops the bundle of a redacted event, and m.replace must not be bundled with one), and edits
 * and annotations, which cannot meaningfully have children (as Synapse).
 */
const bundles = (e: StoredEvent) => e.stateKey === null && !e.redactedBy && e.relType !== "m.replace" && e.relType !== "m.annotation";

export function createAggregations(deps: {
  repo: Pick<RelationsRepo, "threadSummaries" | "latestEdits" | "references">;
  formatter: ClientEventFormatter;
  visibleEvents(userId: string, roomId: string, ids: readonly string[]): Promise<(StoredEvent | undefined)[]>;
}): Aggregations {
  /** Per room: the events of `ids` (all in that room) the user may see. */
  async function visible(viewer: Viewer, ids: { roomId: string; eventId: string }[]): Promise<Map<string, StoredEvent>> {
    const byRoom = Map.groupBy(ids, (x) => x.roomId);
    const shown = await Promise.all([...byRoom].map(([roomId, xs]) => deps.visibleEvents(viewer.userId, roomId, xs.map((x) => x.eventId))));
    return new Map(shown.flat().filter((e): e is StoredEvent => e !== undefined).map((e) => [e.eventId, e]));
  }

  /**
   * `withThreads` is false for a thread's latest event: it is in a thread, so it roots none (and
   * leaving threads out there keeps the nesting to one level).
   */
  async function bundle(events: readonly StoredEvent[], viewer: Viewer, withThreads: boolean): Promise<Map<string, JsonObject>> {
    const parents = new Map(events.filter(bundles).map((e) => [e.eventId, e]));
    const result = new Map<string, JsonObject>();
    if (parents.size === 0) return result;
    const ids = [...parents.keys()];
    const [threads, edits, references] = await Promise.all([
      withThreads ? deps.repo.threadSummaries(ids, viewer.userId) : [],
      deps.repo.latestEdits(ids),
      deps.repo.references(ids),
    ]);
    // Children in another room than their parent are not relations (the spec's "same room").
    const sameRoom = threads.filter((t) => parents.get(t.rootId)?.roomId === t.roomId);
    // The latest thread reply and the latest edit are served in full: only if the user may see them.
    const shown = await visible(viewer, [
      ...sameRoom.map((t) => ({ roomId: t.roomId, eventId: t.latestId })),
      ...edits.map((x) => ({ roomId: parents.get(x.targetId)!.roomId, eventId: x.eventId })),
    ]);
    const latest = sameRoom.map((t) => shown.get(t.latestId)).filter((e): e is StoredEvent => e !== undefined);
    const editEvents = edits.map((x) => shown.get(x.eventId)).filter((e): e is StoredEvent => e !== undefined);
    const [formatted, nested] = await Promise.all([
      deps.formatter.format([...latest, ...editEvents], viewer),
      latest.length > 0 ? bundle(latest, viewer, false) : new Map<string, JsonObject>(),
    ]);
    const formattedById = new Map<string, ClientEvent>(formatted.map((e) => [e.event_id, e]));
    const add = (parentId: string, relType: string, value: unknown) => {
      const relations = result.get(parentId) ?? {};
      relations[relType] = value as JsonObject;
      result.set(parentId, relations);
    };

    for (const thread of sameRoom) {
      const latestEvent = formattedById.get(thread.latestId);
      // A latest reply the user may not see leaves the whole summary out (its count would leak it).
      if (!latestEvent) continue;
      const latestRelations = nested.get(thread.latestId);
      if (latestRelations) latestEvent.unsigned["m.relations"] = latestRelations;
      const root = parents.get(thread.rootId)!;
      add(thread.rootId, "m.thread", {
        latest_event: latestEvent,
        count: thread.count,
        current_user_participated: thread.participated || root.sender === viewer.userId,
      });
    }
    for (const edit of edits) {
      const event = formattedById.get(edit.eventId);
      if (event) add(edit.targetId, "m.replace", event);
    }
    const chunks = new Map<string, { event_id: string }[]>();
    for (const ref of references) {
      if (parents.get(ref.targetId)?.roomId !== ref.roomId) continue;
      const chunk = chunks.get(ref.targetId) ?? [];
      chunk.push({ event_id: ref.eventId });
      chunks.set(ref.targetId, chunk);
    }
    for (const [targetId, chunk] of chunks) add(targetId, "m.reference", { chunk });
    return result;
  }

  return (events, viewer) => bundle(events, viewer, true);
}

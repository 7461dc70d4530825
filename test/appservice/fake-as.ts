// A local application service for tests: records every transaction attempt and query, and
// answers as the test says (up, down with 500, or a custom answer).
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Server } from "bun";

export interface Attempt {
  txnId: string;
  auth: string | null;
  query: string;
  body: { events: any[]; ephemeral?: any[] };
}

export type QueryAnswer = (kind: "users" | "rooms", id: string) => Promise<Response> | Response;

export function startFakeAs() {
  const state = {
    /** How transactions are answered. */
    mode: "up" as "up" | "down" | "garbage",
    attempts: [] as Attempt[],
    queries: [] as { kind: "users" | "rooms"; id: string; auth: string | null }[],
    answerQuery: (() => Response.json({}, { status: 404 })) as QueryAnswer,
  };
  const server: Server<undefined> = Bun.serve({
    port: 0,
    hostname: "127.0.0.1",
    async fetch(request) {
      const url = new URL(request.url);
      const auth = request.headers.get("authorization");
      const txn = url.pathname.match(/^\/_matrix\/app\/v1\/transactions\/([^/]+)$/);
      if (txn && request.method === "PUT") {
        state.attempts.push({ txnId: decodeURIComponent(txn[1]!), auth, query: url.search, body: (await request.json()) as Attempt["body"] });
        if (state.mode === "down") return Response.json({ errcode: "M_UNKNOWN" }, { status: 500 });
        if (state.mode === "garbage") return new Response("<html>not json", { status: 200 });
        return Response.json({});
      }
      const query = url.pathname.match(/^\/_matrix\/app\/v1\/(users|rooms)\/([^/]+)$/);
      if (query && request.method === "GET") {
        const kind = query[1] as "users" | "rooms";
        const id = decodeURIComponent(query[2]!);
        state.queries.push({ kind, id, auth });
        return state.answerQuery(kind, id);
      }
      return Response.json({ errcode: "M_UNRECOGNIZED" }, { status: 404 });
    },
  });
  return {
    state,
    url: `http://127.0.0.1:${server.port}`,
    /** Transactions the AS processed: the first successful attempt of each txnId, in order. */
    processed(): Attempt[] {
      const seen = new Set<string>();
      return state.attempts.filter((a) => !seen.has(a.txnId) && (seen.add(a.txnId), true));
    },
    /** Event ids delivered, in order, once per transaction id. */
    eventIds(roomId?: string): string[] {
      return this.processed().flatMap((a) => a.body.events.filter((e) => !roomId || e.room_id === roomId).map((e) => e.event_id));
    },
    stop: () => server.stop(true),
  };
}

export type FakeAs = ReturnType<typeof startFakeAs>;

/** Writes registration files to a temp folder; the value for APP_SERVICE_CONFIG_FILES. */
export function registrationFiles(files: Record<string, string>): string {
  const folder = mkdtempSync(join(tmpdir(), "myelin-as-push-"));
  return JSON.stringify(Object.entries(files).map(([name, text]) => (writeFileSync(join(folder, name), text), join(folder, name))));
}

/** Polls until `check` returns true (or throws after `timeoutMs`). */
export async function until(check: () => boolean | Promise<boolean>, timeoutMs = 5_000, what = "condition"): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await Bun.sleep(10);
  }
}

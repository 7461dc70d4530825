// Sending into a room with 5,000 local members, push rules evaluated for all of them (issue 6
// target: p50 < 50 ms, p99 < 150 ms; Synapse about 500 ms). In-process over the test server
// (app.handle, so routing, auth and JSON count; the database is the test cluster, fsync off):
// members join through the rooms services (registration over HTTP costs an argon2 hash each),
// 10% of them with three keyword rules of their own. Evaluation runs off the send path, so two
// figures: the send's own latency, and send -> every member's notification stored (what a
// synchronous evaluator such as Synapse's puts inside the send).
import { roomsTestServer } from "../../test/helpers/rooms.ts";
import { stopTestServer } from "../../test/helpers/db.ts";
import { round } from "../lib.ts";

export const name = "push-fanout";

const MEMBERS = 5_000;
const WITH_RULES = 0.1;
/** Messages sent back to back without waiting for their evaluation (a time limit would queue thousands). */
const BURST = 100;
/** At most this many messages in the one-at-a-time phase. */
const MAX_SEQUENTIAL = 300;
const WORDS = "deploy search release incident outage dashboard review lunch coffee standup budget roadmap".split(" ");

function stats(times: number[]) {
  const sorted = [...times].sort((a, b) => a - b);
  const at = (q: number) => round(sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!, 2);
  return { count: sorted.length, meanMs: round(sorted.reduce((a, b) => a + b, 0) / sorted.length, 2), p50Ms: at(0.5), p99Ms: at(0.99), maxMs: at(1) };
}

export async function run({ seconds }: { seconds: number }): Promise<Record<string, unknown>> {
  const s = await roomsTestServer();
  try {
    const push = s.services.push;
    const sender = await s.register("sender");
    const roomId = await s.createRoom(sender, { preset: "public_chat" });
    const serverName = s.config.server_name;
    const userIds = Array.from({ length: MEMBERS }, (_, i) => `@member${i}:${serverName}`);
    await s.db.sql`insert into users (user_id, created_ts) select u, 0 from unnest(${userIds}::text[]) u`;
    let started = performance.now();
    for (const userId of userIds) await s.rooms.membership.join(roomId, userId);
    const joinMs = (performance.now() - started) / MEMBERS;
    process.stderr.write(`push-fanout: ${MEMBERS} joined, ${round(joinMs, 2)} ms each\n`);
    await push.evaluator.settled(600_000);
    await s.db.sql`analyze`;
    const v3 = "/_matrix/client/v3";
    for (let i = 0; i < MEMBERS * WITH_RULES; i++) {
      const id = userIds[i * Math.round(1 / WITH_RULES)]!;
      for (let k = 0; k < 3; k++) {
        await push.rules.put(id, "content", `kw${k}`, { pattern: WORDS[(i + k * 5) % WORDS.length]!, actions: ["notify", { set_tweak: "highlight" }] }, {});
      }
    }
    let n = 0;
    const send = async () => {
      const res = await s.send(sender, roomId, { msgtype: "m.text", body: `message ${++n}: the deploy of search finished, see the dashboard` });
      if (res.status !== 200) throw new Error(`send: ${res.status} ${JSON.stringify(res.body)}`);
    };
    // Warm-up: the first message compiles every member's rules.
    started = performance.now();
    await send();
    await push.evaluator.settled(600_000);
    const firstMessageMs = round(performance.now() - started, 1);
    for (let i = 0; i < 5; i++) await send();
    await push.evaluator.settled(600_000);

    // One message at a time, each evaluated and stored before the next.
    const sendTimes: number[] = [];
    const storedTimes: number[] = [];
    const deadline = performance.now() + (seconds * 1000) / 2;
    while (performance.now() < deadline && sendTimes.length < MAX_SEQUENTIAL) {
      const start = performance.now();
      await send();
      sendTimes.push(performance.now() - start);
      await push.evaluator.settled(600_000);
      storedTimes.push(performance.now() - start);
    }

    process.stderr.write(`push-fanout: sequential ${JSON.stringify(stats(storedTimes))}\n`);
    // Back to back: sends while earlier messages are still being evaluated.
    const busyTimes: number[] = [];
    const burstStart = performance.now();
    while (busyTimes.length < BURST) {
      const start = performance.now();
      await send();
      busyTimes.push(performance.now() - start);
    }
    const backlogAtEnd = push.evaluator.backlog();
    await push.evaluator.settled(600_000);
    const burstMs = performance.now() - burstStart;
    const [rows] = await s.db.sql<{ n: string }[]>`select count(*) as n from event_push_actions`;
    const notified = await push.unreadCounts.unreadCounts(userIds[1]!, [roomId]);
    return {
      members: MEMBERS,
      membersWithKeywordRules: MEMBERS * WITH_RULES,
      joinMeanMs: round(joinMs, 2),
      firstMessageWithRuleLoadMs: firstMessageMs,
      sequential: { send: stats(sendTimes), sendToStored: stats(storedTimes) },
      backToBack: { send: stats(busyTimes), messagesPerSecondEvaluated: round((busyTimes.length * 1000) / burstMs, 1), backlogAtEnd },
      notificationRows: Number(rows!.n),
      sampleMemberCount: notified.get(roomId)?.notification_count ?? 0,
    };
  } finally {
    await s.close();
    await stopTestServer();
  }
}

// The push_rules table (schema/push.ts): users' own rules and their changes to server-default
// rules, written one kind at a time with the user's push rules position moved in the same
// transaction. No Matrix rules here: src/push/rules.ts decides what to write.
import { inStreamOrder } from "../ordered-writes.ts";
import type { Db } from "../db.ts";

export interface PushRuleRow {
  kind: string;
  ruleId: string;
  /** Order among the user's own rules of the kind, most important first. */
  priority: number;
  rule: Record<string, unknown>;
}

export function createPushRulesRepo(db: Db) {
  const sql = db.$client;
  return {
    /** Every stored row of these users, by user, in kind then priority order. */
    async rulesOf(userIds: readonly string[]): Promise<Map<string, PushRuleRow[]>> {
      const byUser = new Map<string, PushRuleRow[]>(userIds.map((userId) => [userId, []]));
      if (userIds.length === 0) return byUser;
      const rows = await sql<(PushRuleRow & { userId: string })[]>`
        select user_id as "userId", kind, rule_id as "ruleId", priority, rule from push_rules
        where user_id = any(${userIds as string[]}::text[]) order by user_id, kind, priority, rule_id`;
      for (const { userId, ...row } of rows) byUser.get(userId)?.push(row);
      return byUser;
    },

    /**
     * Replaces all of a user's rows of one kind with `rows` and takes a new position for the
     * user; returns it.
     */
    async replaceKind(userId: string, kind: string, rows: readonly Omit<PushRuleRow, "kind">[]): Promise<number> {
      return inStreamOrder("push_rules_stream_position", async () => {
        return sql.begin(async (tx) => {
          await tx`delete from push_rules where user_id = ${userId} and kind = ${kind}`;
          if (rows.length > 0) {
            await tx`insert into push_rules (user_id, kind, rule_id, priority, rule)
              select ${userId}, ${kind}, r.rule_id, r.priority, r.rule
              from unnest(${rows.map((r) => r.ruleId)}::text[], ${rows.map((r) => r.priority)}::int[], ${rows.map((r) => JSON.stringify(r.rule))}::jsonb[])
                as r(rule_id, priority, rule)`;
          }
          const [moved] = await tx<{ position: number }[]>`
            insert into push_rules_positions (user_id) values (${userId})
            on conflict (user_id) do update set stream_position = nextval('push_rules_stream_position')
            returning stream_position::float8 as position`;
          return moved!.position;
        });
      });
    },

    /** The position of each user's last change (users who never changed their rules are left out). */
    async positionsOf(userIds: readonly string[]): Promise<Map<string, number>> {
      if (userIds.length === 0) return new Map();
      const rows = await sql<{ userId: string; position: number }[]>`
        select user_id as "userId", stream_position::float8 as position from push_rules_positions where user_id = any(${userIds as string[]}::text[])`;
      return new Map(rows.map((row) => [row.userId, row.position]));
    },

    /** The highest position handed out so far (0 before any change). */
    async maxPosition(): Promise<number> {
      const [row] = await sql<{ last_value: string; is_called: boolean }[]>`select last_value, is_called from push_rules_stream_position`;
      return row?.is_called ? Number(row.last_value) : 0;
    },
  };
}

export type PushRulesRepo = ReturnType<typeof createPushRulesRepo>;

// `bun run bench [scenario ...] [--seconds N]`: runs the scenarios in bench/scenarios/ (all by
// default) and prints one JSON report to record in bench/RESULTS.md with date and machine.
import { readdirSync } from "node:fs";
import { cpus, totalmem } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";

interface Scenario {
  name: string;
  run(options: { seconds: number }): Promise<Record<string, unknown>>;
}

const { values, positionals } = parseArgs({ args: Bun.argv.slice(2), allowPositionals: true, options: { seconds: { type: "string" } } });
const seconds = Number(values.seconds ?? 10);
const folder = join(import.meta.dir, "scenarios");
const scenarios: Scenario[] = [];
for (const file of readdirSync(folder).filter((name) => name.endsWith(".ts")).sort()) {
  const scenario = (await import(join(folder, file))) as Scenario;
  if (positionals.length === 0 || positionals.includes(scenario.name)) scenarios.push(scenario);
}
if (scenarios.length === 0) throw new Error(`no scenario named ${positionals.join(", ")}`);

const results: Record<string, unknown> = {};
for (const scenario of scenarios) {
  process.stderr.write(`bench: ${scenario.name}\n`);
  results[scenario.name] = await scenario.run({ seconds });
}
console.log(
  JSON.stringify(
    {
      date: new Date().toISOString(),
      machine: { cpus: cpus().length, cpu: cpus()[0]?.model, memoryGiB: Math.round(totalmem() / 2 ** 30), bun: Bun.version },
      results,
    },
    null,
    2,
  ),
);

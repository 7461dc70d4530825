// Where a Bun Worker's module is. Under `bun run` it sits next to its client. Inside the single
// binary every worker is an extra entry point of `bun build --compile` (scripts/build-binary.ts
// lists WORKER_ENTRIES), named by its path from the repository root, and a relative specifier is
// resolved from there.

/** The worker modules, from the repository root: the binary's build adds each as an entry point. */
export const WORKER_ENTRIES = ["src/engine/state-res-worker.ts", "src/media/thumbnail-worker.ts"] as const;

export function workerSpecifier(clientUrl: string, entry: (typeof WORKER_ENTRIES)[number]): string {
  if (clientUrl.includes("/$bunfs/")) return `./${entry}`;
  return new URL(`./${entry.slice(entry.lastIndexOf("/") + 1)}`, clientUrl).href;
}

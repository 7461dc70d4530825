// Synapse's unit conventions for sizes ("50M") and durations ("1d"):
// shared/reference/synapse-config-documentation.md, "Config Conventions".

const SIZE_UNITS: Record<string, number> = { K: 1024, M: 1024 ** 2, G: 1024 ** 3, T: 1024 ** 4 };
const DURATION_UNITS: Record<string, number> = {
  s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000, y: 31_536_000_000,
};

/** Bytes from a number or "10K"/"50M"/"1G"/"1T"; null if the text is not a size. */
export function parseSize(value: number | string): number | null {
  if (typeof value === "number") return Number.isSafeInteger(value) && value >= 0 ? value : null;
  const match = /^(\d+)([KMGT])?$/.exec(value.trim());
  if (!match) return null;
  return Number(match[1]) * (match[2] ? SIZE_UNITS[match[2]]! : 1);
}

/** Milliseconds from a number (already ms) or "30s"/"5m"/"1h"/"1d"/"1w"/"1y"; null otherwise. */
export function parseDuration(value: number | string): number | null {
  if (typeof value === "number") return Number.isSafeInteger(value) && value >= 0 ? value : null;
  const match = /^(\d+)(ms|[smhdwy])?$/.exec(value.trim());
  if (!match) return null;
  const unit = match[2];
  return Number(match[1]) * (unit === undefined || unit === "ms" ? 1 : DURATION_UNITS[unit]!);
}

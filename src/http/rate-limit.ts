// Token buckets per (limit, requester), shaped like Synapse's rc_* options:
// a requester may burst `burst_count` requests, refilled at `per_second`.
import { MatrixError } from "../protocol/matrix-error.ts";

export interface RateLimitRule {
  per_second: number;
  burst_count: number;
}

interface Bucket {
  tokens: number;
  updated: number;
}

/** Buckets kept before the idle ones are swept; bounds memory under a flood of addresses. */
const MAX_BUCKETS = 100_000;

export class RateLimiter {
  private readonly buckets = new Map<string, Bucket>();

  constructor(private readonly now: () => number = Date.now) {}

  /** Takes one token or throws 429 M_LIMIT_EXCEEDED with the wait until the next one. */
  take(name: string, rule: RateLimitRule, requester: string): void {
    const key = `${name}\u0000${requester}`;
    const now = this.now();
    const bucket = this.buckets.get(key) ?? { tokens: rule.burst_count, updated: now };
    bucket.tokens = Math.min(rule.burst_count, bucket.tokens + ((now - bucket.updated) / 1000) * rule.per_second);
    bucket.updated = now;
    if (bucket.tokens < 1) {
      const waitMs = Math.ceil(((1 - bucket.tokens) / rule.per_second) * 1000);
      this.buckets.set(key, bucket);
      throw new MatrixError(429, "M_LIMIT_EXCEEDED", "Too many requests", { retry_after_ms: waitMs }, {
        "Retry-After": String(Math.ceil(waitMs / 1000)),
      });
    }
    bucket.tokens -= 1;
    if (!this.buckets.has(key) && this.buckets.size >= MAX_BUCKETS) this.sweep(now);
    this.buckets.set(key, bucket);
  }

  /** Throws 429 M_LIMIT_EXCEEDED when a take() would, without taking (e.g. failed-login limits). */
  check(name: string, rule: RateLimitRule, requester: string): void {
    const bucket = this.buckets.get(`${name}\u0000${requester}`);
    if (!bucket) return;
    const tokens = Math.min(rule.burst_count, bucket.tokens + ((this.now() - bucket.updated) / 1000) * rule.per_second);
    if (tokens < 1) {
      const waitMs = Math.ceil(((1 - tokens) / rule.per_second) * 1000);
      throw new MatrixError(429, "M_LIMIT_EXCEEDED", "Too many requests", { retry_after_ms: waitMs }, { "Retry-After": String(Math.ceil(waitMs / 1000)) });
    }
  }

  /** Drops buckets that would be full again; they hold no information. */
  private sweep(now: number): void {
    for (const [key, bucket] of this.buckets) {
      if (now - bucket.updated > 3_600_000) this.buckets.delete(key);
    }
    if (this.buckets.size >= MAX_BUCKETS) this.buckets.clear();
  }
}

// The slice of the HTTP rate limiter domain code uses (src/http/rate-limit.ts fills it), and
// the loopback exemption (config rc_exempt_loopback).
export interface Rule {
  per_second: number;
  burst_count: number;
}

export interface Limiter {
  /** Takes one token or throws 429 M_LIMIT_EXCEEDED. */
  take(name: string, rule: Rule, key: string): void;
  /** Throws 429 M_LIMIT_EXCEEDED when no token is left, without taking one. */
  check(name: string, rule: Rule, key: string): void;
}

export const isLoopback = (ip: string) => ip === "::1" || ip.startsWith("127.") || ip.startsWith("::ffff:127.");

/** A limiter that lets loopback callers through when `exemptLoopback` is set. */
export function limiterFor(limiter: Limiter, exemptLoopback: boolean) {
  const exempt = (ip: string) => exemptLoopback && isLoopback(ip);
  return {
    take: (ip: string, name: string, rule: Rule, key: string) => void (exempt(ip) || limiter.take(name, rule, key)),
    check: (ip: string, name: string, rule: Rule, key: string) => void (exempt(ip) || limiter.check(name, rule, key)),
  };
}

export type RequestLimiter = ReturnType<typeof limiterFor>;

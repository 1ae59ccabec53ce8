/**
 * In-memory token buckets, one per caller: `perMinute` requests, refilled continuously. Per
 * process: behind N replicas the effective limit is N × perMinute (see README, Operations).
 */
export class RateLimiter {
  private readonly buckets = new Map<string, { tokens: number; at: number }>();
  private readonly capacity: number;
  private readonly perMs: number;

  constructor(
    perMinute: number,
    private readonly now: () => number = () => Date.now(),
    private readonly maxCallers = 10000,
  ) {
    this.capacity = perMinute;
    this.perMs = perMinute / 60000;
  }

  /** Takes one token; answers how many seconds to wait when there is none. */
  take(caller: string): { ok: true } | { ok: false; retryAfterSec: number } {
    const t = this.now();
    let bucket = this.buckets.get(caller);
    if (bucket === undefined) {
      if (this.buckets.size >= this.maxCallers) this.prune(t);
      bucket = { tokens: this.capacity, at: t };
      this.buckets.set(caller, bucket);
    } else {
      bucket.tokens = Math.min(this.capacity, bucket.tokens + (t - bucket.at) * this.perMs);
      bucket.at = t;
    }
    if (bucket.tokens >= 1) {
      bucket.tokens -= 1;
      return { ok: true };
    }
    return {
      ok: false,
      retryAfterSec: Math.max(1, Math.ceil((1 - bucket.tokens) / this.perMs / 1000)),
    };
  }

  /** How many seconds `caller` must wait before `take` would succeed; 0 when it would now. */
  wait(caller: string): number {
    const bucket = this.buckets.get(caller);
    if (bucket === undefined) return 0;
    const tokens = Math.min(this.capacity, bucket.tokens + (this.now() - bucket.at) * this.perMs);
    return tokens >= 1 ? 0 : Math.max(1, Math.ceil((1 - tokens) / this.perMs / 1000));
  }

  /** Forgets callers whose bucket has refilled (they are indistinguishable from new ones). */
  private prune(t: number): void {
    for (const [caller, b] of this.buckets) {
      if (b.tokens + (t - b.at) * this.perMs >= this.capacity) this.buckets.delete(caller);
    }
    // Still full of active callers: drop the oldest rather than grow without bound.
    while (this.buckets.size >= this.maxCallers) {
      const oldest = this.buckets.keys().next();
      if (oldest.done === true) break;
      this.buckets.delete(oldest.value);
    }
  }
}

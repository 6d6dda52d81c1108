// Failed authentications per client address: a caller guessing keys (or a script with a stale one)
// gets a few tries a minute, then 429 until the minute is over, before any key lookup reaches
// Postgres. Counted in this replica's memory, like the request limiter.

/** Addresses tracked at most; beyond it the oldest windows are dropped (a flood of addresses). */
const MAX_ADDRESSES = 50_000;

interface Window {
  startedAt: number;
  failures: number;
}

export class AuthFailureLimiter {
  private readonly windows = new Map<string, Window>();

  constructor(
    /** Failures allowed per address per window; the next request waits for the window's end. */
    readonly maxFailures: number,
    readonly windowMs = 60_000,
  ) {}

  /** Seconds until `address` may try again, or null when it may now. */
  retryAfterSeconds(address: string, now = Date.now()): number | null {
    const window = this.current(address, now);
    if (window === undefined || window.failures < this.maxFailures) return null;
    return Math.max(1, Math.ceil((window.startedAt + this.windowMs - now) / 1000));
  }

  /** Counts a failure; true when it is the one that reached the limit (worth one log line). */
  recordFailure(address: string, now = Date.now()): boolean {
    let window = this.current(address, now);
    if (window === undefined) {
      if (this.windows.size >= MAX_ADDRESSES) this.dropOldest(now);
      window = { startedAt: now, failures: 0 };
      this.windows.set(address, window);
    }
    window.failures += 1;
    return window.failures === this.maxFailures;
  }

  private current(address: string, now: number): Window | undefined {
    const window = this.windows.get(address);
    if (window !== undefined && now - window.startedAt >= this.windowMs) {
      this.windows.delete(address);
      return undefined;
    }
    return window;
  }

  /** Expired windows first; if none had expired, the oldest tenth (Map keeps insertion order). */
  private dropOldest(now: number): void {
    for (const [address, window] of this.windows) {
      if (now - window.startedAt >= this.windowMs) this.windows.delete(address);
    }
    if (this.windows.size < MAX_ADDRESSES) return;
    let toDrop = Math.ceil(MAX_ADDRESSES / 10);
    for (const address of this.windows.keys()) {
      if (toDrop-- === 0) break;
      this.windows.delete(address);
    }
  }
}

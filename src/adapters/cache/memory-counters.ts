import type { CounterStore } from '../../ports/counter-store.js';

export interface MemoryCountersOptions {
  /** Most counters kept. Default 100 000 (a few tens of bytes each). */
  maxKeys?: number;
  /** Clock in ms, injectable for tests. */
  now?: () => number;
}

interface Counter {
  value: number;
  /** Absolute expiry in ms. */
  expiresAt: number;
}

/**
 * The embedded rate limiter's counters: a structure of their own, never
 * shared with cached content, so no number of cached pages can evict a
 * lockout. Bounded by key count: when full, expired windows are dropped
 * first; only when every counter is live (more distinct addresses and
 * usernames in one window than `maxKeys`) do live ones go — those that
 * counted once before any other (see makeRoom) — until a hundredth of the
 * bound is free, so the sweep's cost is shared by many inserts.
 * Synchronous inside, hence atomic.
 */
export class MemoryCounters implements CounterStore {
  private readonly counters = new Map<string, Counter>();
  private readonly maxKeys: number;
  private readonly now: () => number;
  private evictedLive = 0;

  constructor(opts: MemoryCountersOptions = {}) {
    this.maxKeys = opts.maxKeys ?? 100_000;
    if (!Number.isInteger(this.maxKeys) || this.maxKeys < 1) throw new Error('maxKeys must be a positive integer');
    this.now = opts.now ?? Date.now;
  }

  get size(): number {
    return this.counters.size;
  }

  /** Live counters dropped for room so far (non-zero means the bound was too small for the traffic). */
  get evicted(): number {
    return this.evictedLive;
  }

  /**
   * Drops every expired window; returns how many. Without it an expired
   * counter nobody asks about again (an address seen once) holds its memory
   * until the bound is reached; createRateCounters runs it every minute.
   */
  sweepExpired(): number {
    const now = this.now();
    let swept = 0;
    for (const [key, c] of this.counters) {
      if (c.expiresAt <= now) {
        this.counters.delete(key);
        swept++;
      }
    }
    return swept;
  }

  async incr(key: string, by: number, ttlMs: number): Promise<number> {
    const now = this.now();
    let counter = this.live(key, now);
    if (!counter) {
      if (this.counters.size >= this.maxKeys) this.makeRoom(now);
      counter = { value: 0, expiresAt: now + Math.max(1, ttlMs) };
      this.counters.set(key, counter);
    }
    counter.value += by;
    return counter.value;
  }

  async get<T = number>(key: string): Promise<T | undefined> {
    return this.live(key, this.now())?.value as T | undefined;
  }

  private live(key: string, now: number): Counter | undefined {
    const counter = this.counters.get(key);
    if (counter && counter.expiresAt <= now) {
      this.counters.delete(key);
      return undefined;
    }
    return counter;
  }

  /**
   * Frees at least a hundredth of the bound, so the next full sweep is that
   * many inserts away. Live counters that have counted once go first (oldest
   * first): a flood of fresh keys (a new X-Device-Id per request) is made of
   * them, while a lockout has counted up to its limit — so the flood evicts
   * itself, never a lockout. Only then, the oldest of the rest.
   */
  private makeRoom(now: number): void {
    for (const [key, c] of this.counters) if (c.expiresAt <= now) this.counters.delete(key);
    const target = this.maxKeys - Math.max(1, Math.ceil(this.maxKeys / 100));
    for (const pass of [(c: Counter) => c.value <= 1, () => true]) {
      for (const [key, c] of this.counters) {
        if (this.counters.size <= target) return;
        if (!pass(c)) continue;
        this.counters.delete(key);
        this.evictedLive++;
      }
    }
  }
}

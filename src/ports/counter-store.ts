/**
 * Where rate-limit counters live: apart from cached content, so that no
 * amount of cached pages can push a counter (a lockout) out. The Redis Cache
 * adapter satisfies it; the embedded default is MemoryCounters.
 */
export interface CounterStore {
  /**
   * Atomically adds `by` to `key` (created at 0) and returns the new value;
   * `ttlMs` starts the key's expiry when it has none yet, and later calls do
   * not extend it (a fixed window).
   */
  incr(key: string, by: number, ttlMs: number): Promise<number>;
  get<T = number>(key: string): Promise<T | undefined>;
}

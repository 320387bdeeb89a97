export interface Cache {
  get<T>(key: string): Promise<T | undefined>;
  set<T>(key: string, value: T, ttlMs: number): Promise<void>;
  delete(key: string): Promise<void>;
  /** `delete` of each key, in one round trip where the adapter has one (a batch of events drops many cached answers). */
  deleteMany(keys: readonly string[]): Promise<void>;
  /** Atomic increment; creates the key at 0 first. Returns the new value. */
  incr(key: string, by?: number, ttlMs?: number): Promise<number>;
  /**
   * Returns the cached value or loads it once: concurrent callers for the
   * same cold key share one `loader` call (single flight, no stampede).
   */
  getOrLoad<T>(key: string, ttlMs: number, loader: () => Promise<T>): Promise<T>;
  close(): Promise<void>;
}

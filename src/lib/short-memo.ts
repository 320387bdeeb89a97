/**
 * A tiny in-process memo in front of a shared cache, for answers that are
 * the same for everyone and may be a fraction of a second old (anonymous
 * feed pages and video views): a burst of requests in one process costs one
 * round trip to Redis and one parse instead of one each. Bounded in entries,
 * and expired entries are dropped as new ones come (every entry lives the
 * same TTL, so the Map's insertion order is expiry order): it holds at most
 * what was loaded in the last `ttlMs`, not `maxEntries` stale pages. A failed
 * load is not kept.
 */
export class ShortMemo<T> {
  private readonly entries = new Map<string, { expires: number; value: Promise<T> }>();

  constructor(
    private readonly ttlMs: number,
    private readonly maxEntries: number,
    private readonly now: () => number = Date.now,
  ) {}

  /** Entries held (some may have expired since the last `get`). */
  get size(): number {
    return this.entries.size;
  }

  get(key: string, load: () => Promise<T>): Promise<T> {
    const t = this.now();
    for (const [k, e] of this.entries) {
      if (e.expires > t) break;
      this.entries.delete(k);
    }
    const hit = this.entries.get(key);
    if (hit && hit.expires > t) return hit.value;
    if (hit) this.entries.delete(key);
    const value = load();
    this.entries.set(key, { expires: t + this.ttlMs, value });
    value.catch(() => {
      if (this.entries.get(key)?.value === value) this.entries.delete(key);
    });
    // Oldest first out (Map keeps insertion order).
    if (this.entries.size > this.maxEntries) this.entries.delete(this.entries.keys().next().value!);
    return value;
  }

  delete(key: string): void {
    this.entries.delete(key);
  }
}

import { AppError } from '../../errors.js';
import type { Cache } from '../../ports/cache.js';

export interface MemoryCacheOptions {
  /** Most entries kept; the least recently used go first. Default 10 000. */
  maxEntries?: number;
  /** Clock in ms, injectable for tests. */
  now?: () => number;
}

interface Entry {
  /** JSON text, exactly what Redis would hold, so both adapters behave alike. */
  json: string;
  /** Absolute expiry in ms; Infinity for none. */
  expiresAt: number;
}

interface Flight {
  promise: Promise<unknown>;
  /** Set when the key is written or deleted while loading: the result is then not cached. */
  superseded: boolean;
}

/**
 * In-process Cache (the embedded default): an LRU bounded by entry count with
 * per-entry TTLs. Values are stored as JSON, as the Redis adapter stores them,
 * so callers get a copy (mutating it does not change the cache) and anything
 * that would not survive Redis (Dates, Maps, undefined) does not survive here
 * either. A TTL of 0, negative or Infinity means "no expiry".
 */
export class MemoryCache implements Cache {
  private readonly entries = new Map<string, Entry>();
  private readonly flights = new Map<string, Flight>();
  private readonly maxEntries: number;
  private readonly now: () => number;
  private closed = false;

  constructor(opts: MemoryCacheOptions = {}) {
    this.maxEntries = opts.maxEntries ?? 10_000;
    if (!Number.isInteger(this.maxEntries) || this.maxEntries < 1) throw new Error('maxEntries must be a positive integer');
    this.now = opts.now ?? Date.now;
  }

  get size(): number {
    return this.entries.size;
  }

  async get<T>(key: string): Promise<T | undefined> {
    this.assertOpen();
    const entry = this.read(key);
    return entry ? (JSON.parse(entry.json) as T) : undefined;
  }

  async set<T>(key: string, value: T, ttlMs: number): Promise<void> {
    this.assertOpen();
    this.supersede(key);
    this.write(key, value, ttlMs);
  }

  async delete(key: string): Promise<void> {
    this.assertOpen();
    this.supersede(key);
    this.entries.delete(key);
  }

  /**
   * Adds `by` (default 1) to the number at `key`, creating it at 0 first.
   * `ttlMs` applies only when the key has no expiry yet (like Redis
   * `PEXPIRE … NX`), so a fixed window started by the first increment is not
   * extended by later ones. Synchronous inside, hence atomic.
   */
  async incr(key: string, by = 1, ttlMs?: number): Promise<number> {
    this.assertOpen();
    if (!Number.isFinite(by)) throw new AppError('validation_failed', 'incr amount must be a finite number.');
    const entry = this.read(key);
    let current = 0;
    if (entry) {
      const parsed: unknown = JSON.parse(entry.json);
      if (typeof parsed !== 'number') throw new AppError('validation_failed', `Cache key ${key} does not hold a number.`);
      current = parsed;
    }
    const next = current + by;
    const expiresAt = entry && entry.expiresAt !== Infinity ? entry.expiresAt : ttlMs !== undefined ? this.expiry(ttlMs) : Infinity;
    this.supersede(key);
    this.store(key, { json: JSON.stringify(next), expiresAt });
    return next;
  }

  /**
   * Cached value, or one shared call of `loader` for all concurrent callers of
   * the same cold key. A failing load rejects every waiter and caches
   * nothing; a value of `undefined` is returned but not cached.
   */
  async getOrLoad<T>(key: string, ttlMs: number, loader: () => Promise<T>): Promise<T> {
    this.assertOpen();
    const entry = this.read(key);
    if (entry) return JSON.parse(entry.json) as T;
    const existing = this.flights.get(key);
    if (existing) return existing.promise as Promise<T>;

    const flight: Flight = { promise: Promise.resolve(), superseded: false };
    flight.promise = (async () => {
      try {
        const value = await loader();
        if (!flight.superseded && !this.closed) this.write(key, value, ttlMs);
        return value;
      } finally {
        if (this.flights.get(key) === flight) this.flights.delete(key);
      }
    })();
    this.flights.set(key, flight);
    return flight.promise as Promise<T>;
  }

  async close(): Promise<void> {
    this.closed = true;
    this.entries.clear();
    this.flights.clear();
  }

  private assertOpen(): void {
    if (this.closed) throw new Error('MemoryCache is closed');
  }

  /** Live entry, refreshed as most recently used; expired entries are dropped. */
  private read(key: string): Entry | undefined {
    const entry = this.entries.get(key);
    if (!entry) return undefined;
    this.entries.delete(key);
    if (entry.expiresAt <= this.now()) return undefined;
    this.entries.set(key, entry);
    return entry;
  }

  private write(key: string, value: unknown, ttlMs: number): void {
    const json = JSON.stringify(value);
    if (json === undefined) {
      this.entries.delete(key); // undefined (or a function) cannot be stored, as in Redis
      return;
    }
    this.store(key, { json, expiresAt: this.expiry(ttlMs) });
  }

  private store(key: string, entry: Entry): void {
    this.entries.delete(key);
    this.entries.set(key, entry);
    while (this.entries.size > this.maxEntries) {
      const oldest = this.entries.keys().next();
      if (oldest.done) break;
      this.entries.delete(oldest.value);
    }
  }

  private expiry(ttlMs: number): number {
    return Number.isFinite(ttlMs) && ttlMs > 0 ? this.now() + ttlMs : Infinity;
  }

  private supersede(key: string): void {
    const flight = this.flights.get(key);
    if (flight) {
      flight.superseded = true;
      this.flights.delete(key);
    }
  }
}

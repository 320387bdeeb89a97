import { AppError } from '../../errors.js';
import type { Cache } from '../../ports/cache.js';

export interface MemoryCacheOptions {
  /**
   * Byte budget: what the entries' keys and JSON texts may take, counted at two
   * bytes a character (V8's widest strings) plus a fixed overhead each, so the
   * real footprint stays under it. The least recently used go first; a value
   * larger than the whole budget is not kept. Default 64 MiB.
   */
  maxBytes?: number;
  /** Most entries kept, whatever their size. Default: no count limit. */
  maxEntries?: number;
  /** Clock in ms, injectable for tests. */
  now?: () => number;
}

interface Entry {
  /** JSON text, exactly what Redis would hold, so both adapters behave alike. */
  json: string;
  /** Absolute expiry in ms; Infinity for none. */
  expiresAt: number;
  /** What it counts against the byte budget (key included). */
  bytes: number;
}

/** The Map slot, the entry object and the two strings' headers, roughly. */
const ENTRY_OVERHEAD_BYTES = 96;

interface Flight {
  promise: Promise<unknown>;
  /** Set when the key is written or deleted while loading: the result is then not cached. */
  superseded: boolean;
}

/**
 * In-process Cache (the embedded default): an LRU bounded by bytes (and
 * optionally by entry count) with per-entry TTLs. Bytes, not entries: keys
 * and page sizes vary, and a count bound lets a few thousand large pages take
 * hundreds of megabytes. Values are stored as JSON, as the Redis adapter stores them,
 * so callers get a copy (mutating it does not change the cache) and anything
 * that would not survive Redis (Dates, Maps, undefined) does not survive here
 * either. A TTL of 0, negative or Infinity means "no expiry".
 */
export class MemoryCache implements Cache {
  private readonly entries = new Map<string, Entry>();
  private readonly flights = new Map<string, Flight>();
  private readonly maxBytes: number;
  private readonly maxEntries: number;
  private readonly now: () => number;
  private usedBytes = 0;
  private closed = false;

  constructor(opts: MemoryCacheOptions = {}) {
    this.maxBytes = opts.maxBytes ?? 64 * 1024 ** 2;
    this.maxEntries = opts.maxEntries ?? Infinity;
    if (!Number.isInteger(this.maxBytes) || this.maxBytes < 1) throw new Error('maxBytes must be a positive integer');
    if (this.maxEntries !== Infinity && (!Number.isInteger(this.maxEntries) || this.maxEntries < 1)) {
      throw new Error('maxEntries must be a positive integer');
    }
    this.now = opts.now ?? Date.now;
  }

  get size(): number {
    return this.entries.size;
  }

  /** What the entries count against `maxBytes`. */
  get bytes(): number {
    return this.usedBytes;
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
    this.drop(key);
  }

  async deleteMany(keys: readonly string[]): Promise<void> {
    this.assertOpen();
    for (const key of keys) {
      this.supersede(key);
      this.drop(key);
    }
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
    this.store(key, JSON.stringify(next), expiresAt);
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
    this.usedBytes = 0;
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
    if (entry.expiresAt <= this.now()) {
      this.usedBytes -= entry.bytes;
      return undefined;
    }
    this.entries.set(key, entry);
    return entry;
  }

  private write(key: string, value: unknown, ttlMs: number): void {
    const json = JSON.stringify(value);
    if (json === undefined) {
      this.drop(key); // undefined (or a function) cannot be stored, as in Redis
      return;
    }
    this.store(key, json, this.expiry(ttlMs));
  }

  private store(key: string, json: string, expiresAt: number): void {
    this.drop(key);
    const bytes = 2 * (key.length + json.length) + ENTRY_OVERHEAD_BYTES;
    if (bytes > this.maxBytes) return; // would push out everything else: not kept (a read then misses and loads again)
    this.entries.set(key, { json, expiresAt, bytes });
    this.usedBytes += bytes;
    while (this.usedBytes > this.maxBytes || this.entries.size > this.maxEntries) {
      const oldest = this.entries.keys().next();
      if (oldest.done) break;
      this.drop(oldest.value);
    }
  }

  private drop(key: string): void {
    const entry = this.entries.get(key);
    if (!entry) return;
    this.entries.delete(key);
    this.usedBytes -= entry.bytes;
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

import { randomUUID } from 'node:crypto';
import { Redis, type RedisOptions } from 'ioredis';
import { AppError } from '../../errors.js';
import type { Cache } from '../../ports/cache.js';
import { consoleLogger, type AdapterLogger } from '../logger.js';

export interface RedisCacheOptions {
  /** Prepended to every key (ioredis `keyPrefix`), e.g. 'curta:' or a per-test prefix. */
  keyPrefix?: string;
  /**
   * getOrLoad across processes: the first process to find a key cold takes
   * a lock for this long (SET NX PX) while its loader runs. Default 5 s.
   */
  loadLockMs?: number;
  /**
   * How long other processes wait for that load, polling the key, before
   * giving up and loading themselves. Default: loadLockMs.
   */
  loadWaitMs?: number;
  /** Poll interval while waiting for another process's load. Default 25 ms. */
  pollMs?: number;
  /** Extra ioredis options (timeouts, TLS); used only when constructed from a URL. */
  redis?: RedisOptions;
  /** Told once per outage when the connection fails (ioredis keeps reconnecting). */
  logger?: AdapterLogger;
}

interface Flight {
  promise: Promise<unknown>;
  /** Set when this process writes or deletes the key while loading: the result is then not cached. */
  superseded: boolean;
}

/** Deletes the lock only if it is still ours (it may have expired and been taken). */
const RELEASE_LOCK = `if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end return 0`;

const LOCK_SUFFIX = '\u0000loading';
/**
 * Beside a deleted key, for as long as a load may take: a load that read the
 * old value before the delete (in any process) must not write it back after.
 */
const DELETED_SUFFIX = '\u0000deleted';
// Store a loaded value only if the key is absent and was not deleted meanwhile.
const WRITE_LOADED = `if redis.call('EXISTS', KEYS[2]) == 1 then return 0 end
if ARGV[2] == '0' then return redis.call('SET', KEYS[1], ARGV[1], 'NX') end
return redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2], 'NX')`;

// delete() of many keys: KEYS holds each key followed by its deletion marker.
const DELETE_MANY = `for i = 1, #KEYS, 2 do
  redis.call('DEL', KEYS[i])
  redis.call('SET', KEYS[i + 1], '1', 'PX', ARGV[1])
end
return 0`;

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Cache on Redis (the distributed profile). Values are JSON text, exactly as
 * MemoryCache keeps them, so both behave alike: callers get copies, and what
 * JSON cannot carry (Dates, undefined) does not survive. A TTL of 0,
 * negative or Infinity means "no expiry".
 *
 * getOrLoad guards a cold key twice: in-process callers share one loader
 * call (single flight), and across processes the first one to miss takes a
 * short lock (SET NX PX) so the others poll the key instead of all hitting
 * the database at once. A waiter that sees the lock vanish without a value
 * (the loader failed) tries to take it itself; one that waits longer than
 * `loadWaitMs` (the loader is stuck or its process died) loads on its own.
 * A loaded value is written with NX, so a value someone else set meanwhile
 * (newer, presumably) is not overwritten.
 */
export class RedisCache implements Cache {
  private readonly redis: Redis;
  private readonly ownsConnection: boolean;
  private readonly flights = new Map<string, Flight>();
  private readonly loadLockMs: number;
  private readonly loadWaitMs: number;
  private readonly pollMs: number;
  private closed = false;
  private lastConnectionError: Error | null = null;
  private readonly logger: AdapterLogger;
  /** Set while connect() checks the server: its own error says it all. */
  private quiet = false;

  /**
   * `target` is a URL (`redis://[:password@]host:port[/db]`, `rediss://` for
   * TLS) or an ioredis client the caller owns (then `keyPrefix` must be set
   * on that client, and close() leaves it open).
   */
  constructor(target: string | Redis, opts: RedisCacheOptions = {}) {
    if (typeof target === 'string') {
      this.redis = new Redis(target, {
        // A cache that cannot answer should fail fast, not queue requests for minutes.
        maxRetriesPerRequest: 2,
        connectTimeout: 5000,
        ...opts.redis,
        ...(opts.keyPrefix !== undefined ? { keyPrefix: opts.keyPrefix } : {}),
      });
      this.ownsConnection = true;
      // ioredis reconnects by itself and emits an error per failed attempt;
      // commands fail on their own, so one line per outage is enough.
      let down = false;
      this.redis.on('error', (err: Error) => {
        this.lastConnectionError = err;
        if (down || this.closed || this.quiet) return;
        down = true;
        this.logger.warn({ err }, 'Redis connection failed; reconnecting');
      });
      this.redis.on('ready', () => (down = false));
    } else {
      if (opts.keyPrefix !== undefined) throw new Error('Set keyPrefix on the ioredis client passed to RedisCache');
      this.redis = target;
      this.ownsConnection = false;
    }
    this.logger = opts.logger ?? consoleLogger;
    this.loadLockMs = opts.loadLockMs ?? 5000;
    this.loadWaitMs = opts.loadWaitMs ?? this.loadLockMs;
    this.pollMs = opts.pollMs ?? 25;
  }

  /** Connects to `url` and checks that Redis answers, so a wrong URL fails at start-up. */
  static async connect(url: string, opts: RedisCacheOptions = {}): Promise<RedisCache> {
    const cache = new RedisCache(url, opts);
    cache.quiet = true;
    try {
      await cache.ping();
    } catch (err) {
      const cause = cache.lastConnectionError ?? err;
      await cache.close();
      // eslint-disable-next-line preserve-caught-error -- the connection's own error says more than the failed ping
      throw new Error(`Redis at ${redactUrl(url)} did not answer: ${(cause as Error).message}`, { cause });
    } finally {
      cache.quiet = false;
    }
    return cache;
  }

  /** Cheap round trip for readiness checks. */
  async ping(): Promise<void> {
    await this.redis.ping();
  }

  /**
   * The server's memory limit and eviction policy (from INFO, which managed
   * services such as ElastiCache allow where CONFIG is disabled); null when
   * the server does not say.
   */
  async memoryPolicy(): Promise<{ maxmemory: number; policy: string } | null> {
    const info = await this.redis.info('memory');
    const field = (name: string) => new RegExp(`^${name}:(.*)$`, 'm').exec(info)?.[1]?.trim();
    const maxmemory = field('maxmemory');
    const policy = field('maxmemory_policy');
    return maxmemory !== undefined && policy ? { maxmemory: Number(maxmemory), policy } : null;
  }

  async get<T>(key: string): Promise<T | undefined> {
    this.assertOpen();
    const json = await this.redis.get(key);
    return json === null ? undefined : (JSON.parse(json) as T);
  }

  async set<T>(key: string, value: T, ttlMs: number): Promise<void> {
    this.assertOpen();
    this.supersede(key);
    await this.write(key, value, ttlMs, false);
  }

  async delete(key: string): Promise<void> {
    this.assertOpen();
    this.supersede(key);
    await this.redis
      .multi()
      .del(key)
      .set(key + DELETED_SUFFIX, '1', 'PX', this.loadLockMs)
      .exec();
  }

  /**
   * As `delete` for each key, atomically (one script, as one MULTI would be):
   * one command however many keys, where a MULTI of a DEL and a SET per key
   * cost the client about 7 µs of CPU per key (a playback batch counts views
   * of up to hundreds of videos).
   */
  async deleteMany(keys: readonly string[]): Promise<void> {
    this.assertOpen();
    if (keys.length === 0) return;
    const args: string[] = [];
    for (const key of keys) {
      this.supersede(key);
      args.push(key, key + DELETED_SUFFIX);
    }
    await this.redis.eval(DELETE_MANY, args.length, ...args, String(this.loadLockMs));
  }

  /**
   * INCRBY (INCRBYFLOAT for a fractional amount) and, with a TTL, PEXPIRE NX
   * in one MULTI: the window starts with the first increment and later ones
   * do not extend it, and no crash between the two can leave a counter that
   * never expires.
   */
  async incr(key: string, by = 1, ttlMs?: number): Promise<number> {
    this.assertOpen();
    if (!Number.isFinite(by)) throw new AppError('validation_failed', 'incr amount must be a finite number.');
    this.supersede(key);
    const multi = this.redis.multi();
    if (Number.isSafeInteger(by)) multi.incrby(key, by);
    else multi.incrbyfloat(key, by);
    const ttl = toTtl(ttlMs);
    if (ttl !== null) multi.pexpire(key, ttl, 'NX');
    const results = await multi.exec();
    const [err, value] = results?.[0] ?? [new Error('MULTI was discarded'), null];
    if (err) {
      if (/not an integer|not a valid float|out of range/i.test(err.message)) {
        throw new AppError('validation_failed', `Cache key ${key} does not hold a number.`);
      }
      throw err;
    }
    return Number(value);
  }

  async getOrLoad<T>(key: string, ttlMs: number, loader: () => Promise<T>): Promise<T> {
    this.assertOpen();
    const cached = await this.redis.get(key);
    if (cached !== null) return JSON.parse(cached) as T;
    const existing = this.flights.get(key);
    if (existing) return existing.promise as Promise<T>;

    const flight: Flight = { promise: Promise.resolve(), superseded: false };
    flight.promise = (async () => {
      try {
        return await this.loadAcrossProcesses(key, ttlMs, loader, flight);
      } finally {
        if (this.flights.get(key) === flight) this.flights.delete(key);
      }
    })();
    this.flights.set(key, flight);
    return flight.promise as Promise<T>;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.flights.clear();
    if (!this.ownsConnection) return;
    try {
      await this.redis.quit();
    } catch {
      this.redis.disconnect();
    }
  }

  private async loadAcrossProcesses<T>(key: string, ttlMs: number, loader: () => Promise<T>, flight: Flight): Promise<T> {
    const lockKey = key + LOCK_SUFFIX;
    const deadline = Date.now() + this.loadWaitMs;
    for (;;) {
      const token = randomUUID();
      if ((await this.redis.set(lockKey, token, 'PX', this.loadLockMs, 'NX')) === 'OK') {
        try {
          return await this.loadAndStore(key, ttlMs, loader, flight);
        } finally {
          await this.redis.eval(RELEASE_LOCK, 1, lockKey, token).catch(() => undefined);
        }
      }
      // Another process is loading: wait for its value, or for its lock to go.
      for (;;) {
        if (Date.now() >= deadline) return this.loadAndStore(key, ttlMs, loader, flight);
        await sleep(this.pollMs);
        const results = await this.redis.multi().get(key).exists(lockKey).exec();
        const value = results?.[0]?.[1] as string | null | undefined;
        if (typeof value === 'string') return JSON.parse(value) as T;
        if (results?.[1]?.[1] === 0) break; // its load failed (or expired at once): try ourselves
      }
    }
  }

  private async loadAndStore<T>(key: string, ttlMs: number, loader: () => Promise<T>, flight: Flight): Promise<T> {
    const value = await loader();
    if (!flight.superseded && !this.closed) await this.write(key, value, ttlMs, true);
    return value;
  }

  private async write(key: string, value: unknown, ttlMs: number, onlyIfAbsent: boolean): Promise<void> {
    const json = JSON.stringify(value);
    if (json === undefined) {
      // undefined (or a function) cannot be stored; as in MemoryCache, set() clears the key.
      if (!onlyIfAbsent) await this.redis.del(key);
      return;
    }
    const ttl = toTtl(ttlMs);
    if (onlyIfAbsent) {
      await this.redis.eval(WRITE_LOADED, 2, key, key + DELETED_SUFFIX, json, String(ttl ?? 0));
    } else if (ttl === null) {
      await this.redis.set(key, json);
    } else {
      await this.redis.set(key, json, 'PX', ttl);
    }
  }

  private assertOpen(): void {
    if (this.closed) throw new Error('RedisCache is closed');
  }

  private supersede(key: string): void {
    const flight = this.flights.get(key);
    if (flight) {
      flight.superseded = true;
      this.flights.delete(key);
    }
  }
}

function redactUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = '***';
    return parsed.toString();
  } catch {
    return 'the configured URL';
  }
}

/** Whole milliseconds for PX/PEXPIRE, or null for "no expiry". */
function toTtl(ttlMs: number | undefined): number | null {
  if (ttlMs === undefined || !Number.isFinite(ttlMs) || ttlMs <= 0) return null;
  return Math.max(1, Math.ceil(ttlMs));
}

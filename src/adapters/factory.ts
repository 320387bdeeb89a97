import type { Config } from '../config/config.js';
import type { Cache } from '../ports/cache.js';
import type { Database } from '../ports/database.js';
import type { ObjectStore } from '../ports/object-store.js';
import type { CounterStore } from '../ports/counter-store.js';
import { MemoryCache } from './cache/memory-cache.js';
import { MemoryCounters } from './cache/memory-counters.js';
import { RedisCache } from './cache/redis-cache.js';
import { consoleLogger, type AdapterLogger } from './logger.js';
import { PgliteDatabase } from './db/pglite-database.js';
import { PostgresDatabase } from './db/postgres-database.js';
import { FfmpegTranscoder } from './media/ffmpeg-transcoder.js';
import type { MediaLogger } from '../ports/transcoder.js';
import { FsObjectStore } from './storage/fs-object-store.js';
import { S3ObjectStore } from './storage/s3-object-store.js';

/** The one place that turns configuration into adapters: same code, embedded or distributed. */
export async function openDatabase(config: Readonly<Pick<Config, 'database'>>, logger?: AdapterLogger): Promise<Database> {
  if (config.database.kind === 'postgres') {
    return PostgresDatabase.open(config.database.url, {
      maxConnections: config.database.poolMax,
      statementTimeoutMs: config.database.statementTimeoutMs,
      applicationName: 'curta',
      ...(logger ? { logger } : {}),
    });
  }
  return PgliteDatabase.open(config.database.dir);
}

export function createObjectStore(config: Readonly<Config>, logger?: AdapterLogger): ObjectStore {
  const s = config.storage;
  if (s.kind === 's3') {
    return new S3ObjectStore({
      bucket: s.bucket,
      region: s.region,
      forcePathStyle: s.forcePathStyle,
      ...(s.endpoint ? { endpoint: s.endpoint } : {}),
      ...(s.publicEndpoint ? { publicEndpoint: s.publicEndpoint } : {}),
      archiveStorageClass: config.archive.s3StorageClass,
    });
  }
  return new FsObjectStore({
    rootDir: s.dir,
    publicBaseUrl: config.http.publicBaseUrl,
    signingSecret: config.signingSecret,
    bodyTimeoutMs: config.uploads.bodyTimeoutSec * 1000,
    minBytesPerSec: config.uploads.minBytesPerSec,
    archiveDir: config.archive.dir,
    restoreDelayMs: config.archive.restoreDelaySec * 1000,
    ...(logger ? { logger } : {}),
  });
}

/** The Transcoder port on the configured ffmpeg, with the configured limits (API, worker and `curta archive` alike). */
export function createTranscoder(config: Readonly<Pick<Config, 'media'>>, logger?: MediaLogger): FfmpegTranscoder {
  const m = config.media;
  return new FfmpegTranscoder({
    ffmpegPath: m.ffmpegPath,
    ffprobePath: m.ffprobePath,
    maxDurationSec: m.maxDurationSec,
    maxPixelRate: m.maxPixelRate,
    maxPixelBudget: m.maxPixelBudget,
    timeoutSec: m.transcodeTimeoutSec,
    ...(logger ? { logger } : {}),
  });
}

export async function createCache(config: Readonly<Pick<Config, 'cache'>>): Promise<Cache> {
  if (config.cache.kind === 'redis') return RedisCache.connect(config.cache.url, { keyPrefix: 'curta:' });
  return new MemoryCache({ maxBytes: config.cache.maxBytes });
}

export interface RateCounters {
  store: CounterStore;
  /** Readiness of a store of its own; absent when it is the cache (already checked) or in-process. */
  ping?: () => Promise<void>;
  /** In-process only: live counters dropped for room so far (the bound is too small for the traffic). */
  evicted?: () => number;
  /** Closes a store of its own (the cache's is closed with the cache). */
  close(): Promise<void>;
}

/** How often an in-process rate limiter drops its expired counters. */
export const COUNTER_SWEEP_MS = 60_000;

/**
 * The rate limiter's counters, never in the same bounded structure as cached
 * content: in-process, a MemoryCounters of their own; with Redis, a Redis of
 * their own (`RATE_LIMIT_REDIS_URL`) or the cache's (`cache`, the RedisCache
 * that createCache returned). A Redis that may evict them is reported at
 * start-up (see `checkCounterEviction`).
 */
export async function createRateCounters(
  config: Readonly<Pick<Config, 'rateLimitStore'>>,
  cache: Cache,
  logger: AdapterLogger = consoleLogger,
): Promise<RateCounters> {
  const where = config.rateLimitStore;
  if (where.kind === 'memory') {
    const store = new MemoryCounters({ maxKeys: where.maxKeys });
    // Expired windows are memory only: each process sweeps its own (Redis expires its keys itself).
    const sweep = setInterval(() => store.sweepExpired(), COUNTER_SWEEP_MS);
    sweep.unref();
    return { store, evicted: () => store.evicted, close: async () => clearInterval(sweep) };
  }
  if (where.kind === 'cache') {
    if (!(cache instanceof RedisCache)) throw new Error('rate-limit counters in the cache need the Redis cache');
    await checkCounterEviction(cache, false, logger);
    return { store: cache, close: async () => undefined };
  }
  const own = await RedisCache.connect(where.url, { keyPrefix: 'curta:', logger });
  await checkCounterEviction(own, true, logger);
  return { store: own, ping: () => own.ping(), close: () => own.close() };
}

/**
 * Redis under `maxmemory` with any policy but `noeviction` may drop counters
 * when it fills (the volatile-* policies too: every counter has a TTL), and a
 * dropped counter is a limit reset — a lockout lifted. Said once, loudly, at
 * start-up rather than refusing readiness: the policy is static
 * configuration, not an outage, and taking every process out of the load
 * balancer over it would be worse than the risk. Returns whether it warned.
 */
export async function checkCounterEviction(
  redis: Pick<RedisCache, 'memoryPolicy'>,
  dedicated: boolean,
  logger: AdapterLogger,
): Promise<boolean> {
  const memory = await redis.memoryPolicy().catch(() => null);
  if (!memory) {
    logger.warn({}, 'Could not read the rate-limit Redis eviction policy (INFO memory); make sure it is noeviction or has no maxmemory');
    return true;
  }
  if (memory.maxmemory === 0 || memory.policy === 'noeviction') return false;
  const fix = dedicated
    ? 'set maxmemory-policy noeviction on the Redis of RATE_LIMIT_REDIS_URL (counters are small and expire on their own)'
    : 'set RATE_LIMIT_REDIS_URL to a Redis of their own with maxmemory-policy noeviction (the cache needs its evicting policy)';
  logger.warn(
    { maxmemory: memory.maxmemory, policy: memory.policy },
    `Rate-limit counters live in a Redis that evicts keys when full (maxmemory-policy ${memory.policy}): an evicted counter resets its limit; ${fix}`,
  );
  return true;
}

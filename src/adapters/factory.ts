import type { Config } from '../config/config.js';
import type { Cache } from '../ports/cache.js';
import type { Database } from '../ports/database.js';
import type { ObjectStore } from '../ports/object-store.js';
import { MemoryCache } from './cache/memory-cache.js';
import { RedisCache } from './cache/redis-cache.js';
import type { AdapterLogger } from './logger.js';
import { PgliteDatabase } from './db/pglite-database.js';
import { PostgresDatabase } from './db/postgres-database.js';
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
    });
  }
  return new FsObjectStore({
    rootDir: s.dir,
    publicBaseUrl: config.http.publicBaseUrl,
    signingSecret: config.signingSecret,
    ...(logger ? { logger } : {}),
  });
}

export async function createCache(config: Readonly<Pick<Config, 'cache'>>): Promise<Cache> {
  if (config.cache.kind === 'redis') return RedisCache.connect(config.cache.url, { keyPrefix: 'curta:' });
  return new MemoryCache();
}

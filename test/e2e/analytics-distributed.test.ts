import { afterAll, beforeAll } from 'vitest';
import { startDistributedTestApp } from '../support/distributed-app.js';
import { s3AppEnv, startS3Server, useS3Credentials, type S3TestServer } from '../support/s3.js';
import { postgresAvailable, redisAvailable } from '../support/services.js';
import { analyticsSuite } from './analytics.suite.js';

/**
 * The same suite on PostgreSQL, Redis and S3 (s3rver): the lake's files are
 * read through the ObjectStore port into the local cache, answers are cached
 * in Redis. Skipped, like the other distributed suites, where PostgreSQL or
 * Redis is not running.
 */
if ((await postgresAvailable()) && (await redisAvailable())) {
  let s3: S3TestServer;
  let restoreCredentials: (() => void) | undefined;
  beforeAll(async () => {
    s3 = await startS3Server();
    restoreCredentials = useS3Credentials(s3);
  });
  afterAll(async () => {
    await s3?.close();
    restoreCredentials?.();
  });
  analyticsSuite('creator analytics (distributed: PostgreSQL, Redis, S3)', () =>
    startDistributedTestApp(false, {
      ...s3AppEnv(s3),
      RECONCILE_INTERVAL_SEC: '0',
      STORAGE_SWEEP_INTERVAL_SEC: '0',
    }),
  );
}

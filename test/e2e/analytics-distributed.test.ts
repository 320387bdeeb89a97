import { afterAll, beforeAll } from 'vitest';
import { startDistributedTestApp } from '../support/distributed-app.js';
import { s3AppEnv, startS3Server, type S3TestServer } from '../support/s3.js';
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
  const savedEnv = { id: process.env.AWS_ACCESS_KEY_ID, secret: process.env.AWS_SECRET_ACCESS_KEY };
  beforeAll(async () => {
    s3 = await startS3Server();
    process.env.AWS_ACCESS_KEY_ID = s3.credentials.accessKeyId;
    process.env.AWS_SECRET_ACCESS_KEY = s3.credentials.secretAccessKey;
  });
  afterAll(async () => {
    await s3?.close();
    if (savedEnv.id === undefined) delete process.env.AWS_ACCESS_KEY_ID;
    else process.env.AWS_ACCESS_KEY_ID = savedEnv.id;
    if (savedEnv.secret === undefined) delete process.env.AWS_SECRET_ACCESS_KEY;
    else process.env.AWS_SECRET_ACCESS_KEY = savedEnv.secret;
  });
  analyticsSuite('creator analytics (distributed: PostgreSQL, Redis, S3)', () =>
    startDistributedTestApp(false, {
      ...s3AppEnv(s3),
      RECONCILE_INTERVAL_SEC: '0',
      STORAGE_SWEEP_INTERVAL_SEC: '0',
    }),
  );
}
